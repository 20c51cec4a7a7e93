# Copyright (c) mmped contributors. All rights reserved.
from .bnneck_reid_head import BNNeckReIDHead
from .hpnet_reid_head import HPNetReIDHead
from .masked_attention_head import MaskedAttentionHead
from .multi_label_attr_head import MultiLabelAttrHead, stack_attribute_targets

__all__ = ['HPNetReIDHead', 'MaskedAttentionHead']
__all__ += ['BNNeckReIDHead']
__all__ += ['MultiLabelAttrHead', 'stack_attribute_targets']
