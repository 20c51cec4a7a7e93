# Copyright (c) mmped contributors. All rights reserved.
"""mmdet's single-level RoI extractor accepting mmped's RoI ops (``mmped.RoIPool``)."""
from typing import List

from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from torch import nn

from mmped.models.layers.roi_pool import build_roi_layers
from mmped.registry import MODELS


@MODELS.register_module()
class SingleLevelRoIExtractor(SingleRoIExtractor):
    """:class:`mmdet.models.roi_heads.SingleRoIExtractor` whose ``roi_layer`` may also be
    ``dict(type='mmped.RoIPool', ...)``: Fast R-CNN max pooling on CPU and GPU (mmcv 2.1's
    ``RoIPool`` has CUDA kernels only). Arguments and outputs are those of mmdet's class."""

    def build_roi_layers(self, layer_cfg: dict, featmap_strides: List[int]) -> nn.ModuleList:
        """One RoI op per level, ``spatial_scale = 1 / stride``."""
        return build_roi_layers(layer_cfg, featmap_strides)
