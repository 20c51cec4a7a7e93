# Copyright (c) mmped contributors. All rights reserved.
from .attribute import eval_attributes, eval_wider_attribute_map
from .kitti_ap import eval_kitti_pedestrian_ap
from .miss_rate import (
    MR_PROTOCOLS,
    MRProtocol,
    MRResult,
    MRSetup,
    evaluate_miss_rate,
    get_mr_protocol,
    log_average_miss_rate,
    summarize_miss_rate,
)
from .mot_ap import average_precision_from_pr, eval_mot17det_ap
from .person_search import average_precision, eval_detection, eval_person_search
from .reid import compute_distance, eval_reid, eval_reid_full, re_ranking

__all__ = ['average_precision', 'eval_detection', 'eval_person_search']
__all__ += [
    'eval_attributes', 'eval_wider_attribute_map', 'eval_reid', 'eval_reid_full',
    'compute_distance', 're_ranking'
]
__all__ += [
    'MRSetup', 'MRProtocol', 'MRResult', 'MR_PROTOCOLS', 'get_mr_protocol', 'evaluate_miss_rate',
    'summarize_miss_rate', 'log_average_miss_rate', 'eval_kitti_pedestrian_ap', 'eval_mot17det_ap',
    'average_precision_from_pr'
]
