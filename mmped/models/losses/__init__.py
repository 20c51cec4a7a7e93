# Copyright (c) mmped contributors. All rights reserved.
from .distill_bounded_reg import BoundedRegressionLoss
from .distill_feature_hint import FeatureHintLoss
from .distill_seg import SegDistillLoss
from .distill_soft_hard_ce import SoftHardCrossEntropyLoss
from .instance_sensitive_mask_loss import InstanceSensitiveMaskLoss
from .oim_loss import OIMLoss
from .weighted_bce_loss import WeightedBCELoss, attribute_weights

__all__ = [
    'InstanceSensitiveMaskLoss', 'BoundedRegressionLoss', 'FeatureHintLoss', 'SegDistillLoss',
    'SoftHardCrossEntropyLoss', 'OIMLoss'
]
__all__ += ['WeightedBCELoss', 'attribute_weights']
