# Copyright (c) mmped contributors. All rights reserved.
"""RoI max pooling (Fast R-CNN) that runs on CPU and GPU, and the RoI-op lookup of mmped."""
from typing import Sequence, Tuple, Union

import mmcv.ops
import torch
import torchvision.ops
from torch import Tensor, nn


class RoIPool(nn.Module):
    """Fast R-CNN RoI max pooling, called like ``mmcv.ops.RoIPool``.

    mmcv 2.1's ``RoIPool`` has CUDA kernels only; this one uses torchvision's kernels (CPU and
    CUDA) with the same quantisation (RoI corners rounded to feature cells, inclusive end,
    maximum per bin). Selected in configs as ``roi_layer=dict(type='mmped.RoIPool', ...)``.

    Args:
        output_size (int | tuple[int, int]): Pooled ``(h, w)``.
        spatial_scale (float): Feature-map scale relative to the input (1 / stride).
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]],
                 spatial_scale: float = 1.0) -> None:
        super().__init__()
        self.output_size = (output_size, output_size) if isinstance(output_size, int) \
            else tuple(output_size)
        self.spatial_scale = float(spatial_scale)

    def forward(self, x: Tensor, rois: Tensor) -> Tensor:
        """Pool ``rois`` (N, 5) ``(batch_index, x1, y1, x2, y2)`` from ``x`` (B, C, H, W).

        Returns:
            Tensor: (N, C, h, w), in the dtype of ``x``.
        """
        if x.device.type == 'cpu' and x.dtype in (torch.bfloat16, torch.float16):
            # torchvision's CPU kernel has no reduced-precision version (CPU mixed precision);
            # max pooling of the rounded values is exact, so pooling in float32 loses nothing
            return self(x.float(), rois.float()).to(x.dtype)
        return torchvision.ops.roi_pool(x, rois.to(x.dtype), self.output_size,
                                        self.spatial_scale)

    def extra_repr(self) -> str:
        return f'output_size={self.output_size}, spatial_scale={self.spatial_scale}'


_MMPED_ROI_OPS = {'mmped.RoIPool': RoIPool}


def roi_layer_class(layer_type: Union[str, type]) -> type:
    """The RoI op class of a ``roi_layer`` ``type``: ``'mmped.RoIPool'`` or an ``mmcv.ops``
    name (``'RoIAlign'``, ``'RoIPool'``...); a class is returned as is."""
    if not isinstance(layer_type, str):
        return layer_type
    if layer_type in _MMPED_ROI_OPS:
        return _MMPED_ROI_OPS[layer_type]
    if not hasattr(mmcv.ops, layer_type):
        raise KeyError(f'unknown RoI op {layer_type!r}: use {sorted(_MMPED_ROI_OPS)} or an '
                       f'mmcv.ops name')
    return getattr(mmcv.ops, layer_type)


def build_roi_layers(layer_cfg: dict, featmap_strides: Sequence[int]) -> nn.ModuleList:
    """One RoI op per stride (``spatial_scale = 1 / stride``) from ``layer_cfg``."""
    cfg = dict(layer_cfg)
    layer_cls = roi_layer_class(cfg.pop('type'))
    return nn.ModuleList([layer_cls(spatial_scale=1.0 / s, **cfg) for s in featmap_strides])
