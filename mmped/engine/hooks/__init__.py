# Copyright (c) mmped contributors. All rights reserved.
from .attribute_pos_ratio_hook import AttributePosRatioHook
from .distillation_hooks import DistillWeightHook, TeacherValHook
from .person_mask_check_hook import PersonMaskCheckHook, count_mask_files
from .visualization_hook import PedVisualizationHook

__all__ = [
    'AttributePosRatioHook', 'DistillWeightHook', 'TeacherValHook', 'PedVisualizationHook',
    'PersonMaskCheckHook', 'count_mask_files'
]
