# Copyright (c) mmped contributors. All rights reserved.
from .anchor_coverage import anchor_coverage, best_anchor_iou
from .box_masks import box_index_map, boxes_to_mask
from .scale_mask_targets import ScaleMaskTargets

__all__ = [
    'anchor_coverage', 'best_anchor_iou', 'box_index_map', 'boxes_to_mask', 'ScaleMaskTargets'
]
