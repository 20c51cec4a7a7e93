# Copyright (c) mmped contributors. All rights reserved.
from .cross_modal_feature_learning import CrossModalFeatureLearning
from .foreground_attention import ForegroundAttention
from .l2norm import L2Norm
from .modality_attention_fusion import ModalityAttentionFusion
from .multi_directional_attention import MDABranch, MultiDirectionalAttention
from .roi_pool import RoIPool
from .self_mask_block import MaskBlock, SelfMaskBlock

__all__ = [
    'L2Norm', 'MDABranch', 'MultiDirectionalAttention', 'CrossModalFeatureLearning',
    'ModalityAttentionFusion', 'MaskBlock', 'SelfMaskBlock', 'ForegroundAttention', 'RoIPool'
]
