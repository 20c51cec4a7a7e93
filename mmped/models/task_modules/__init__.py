# Copyright (c) mmped contributors. All rights reserved.
from .box_masks import box_index_map, boxes_to_mask
from .scale_mask_targets import ScaleMaskTargets

__all__ = ['box_index_map', 'boxes_to_mask', 'ScaleMaskTargets']
