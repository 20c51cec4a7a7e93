# Copyright (c) mmped contributors. All rights reserved.
from .attribute_metric import AttributeMetric, WIDERAttributeMetric
from .kitti_metric import KITTIPedestrianMetric
from .miss_rate_metric import MissRateMetric
from .mot17det_metric import MOT17DetMetric
from .mot_submission import MOTChallengeDetWriter
from .per_source_metric import PerSourceMetric
from .person_search_metric import PersonSearchMetric
from .reid_metric import ReIDMetric

__all__ = ['PersonSearchMetric']
__all__ += ['AttributeMetric', 'WIDERAttributeMetric', 'ReIDMetric']
__all__ += ['MissRateMetric', 'KITTIPedestrianMetric', 'MOT17DetMetric']
__all__ += ['MOTChallengeDetWriter', 'PerSourceMetric']
