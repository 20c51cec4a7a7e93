# Copyright (c) mmped contributors. All rights reserved.
from .attribute_pos_ratio_hook import AttributePosRatioHook
from .person_mask_check_hook import PersonMaskCheckHook, count_mask_files

__all__ = ['AttributePosRatioHook', 'PersonMaskCheckHook', 'count_mask_files']
