# Copyright (c) mmped contributors. All rights reserved.
"""Bottom-up fusion (BUF) RoI feature extractor of BUFF."""
from typing import Optional, Sequence

import torch
from mmcv.cnn import build_norm_layer
from mmdet.models.backbones.resnet import Bottleneck
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmped.models.layers.roi_pool import build_roi_layers
from mmped.registry import MODELS


def make_transform(in_channels: int, out_channels: int, norm_cfg: dict) -> Bottleneck:
    """Transform layer ``T_l``: a ResNet bottleneck (three convolutions + projection shortcut)
    with stride 1, mapping ``in_channels`` to ``out_channels`` at the same RoI size; the same
    shapes as the first block of the ResNet stage producing ``out_channels``."""
    downsample = nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
        build_norm_layer(norm_cfg, out_channels)[1])
    return Bottleneck(in_channels, out_channels // Bottleneck.expansion, stride=1,
                      downsample=downsample, norm_cfg=norm_cfg)


@MODELS.register_module()
class BottomUpFusionRoIExtractor(BaseModule):
    """RoI features pooled from several backbone levels and fused bottom-up (BUFF sec. 4.3).

    For the selected levels ``l_1 < l_2 < ... < l_K`` (1-based ResNet stages: 1 = conv1 ...
    4 = conv4) the RoIs are pooled from every level to the same size (14 x 7), then
    ``F = F^{l_1}`` and, for k = 2..K, ``F = max(T_{l_k}(F), F^{l_k})`` (element-wise max), where
    ``T_{l_k}`` is a stride-1 bottleneck mapping the channels of the previous level to those of
    ``l_k``. ``levels=(4, )`` is the plain single-level extractor of the baseline (Table 4,
    BUF_c4). Table 4's ablations are ``(3, 4)``, ``(2, 3, 4)`` and ``(1, 2, 3, 4)`` (BUFF).

    ``out_level`` above ``l_K`` continues the bottom-up stream without fusion:
    ``F = T_l(F)`` for ``l = l_K + 1 .. out_level``. The single-level runs of Fig. 4
    (``BUF_c1`` / ``c2`` / ``c3``: ``levels=(i, ), out_level=4``) thus keep the transforms and
    the 1024-channel input of conv5 that BUF has (our reading: the paper says only that
    ``BUF_ci`` "takes the feature produced by conv i as input").

    Args:
        roi_layer (dict): A RoI op config without ``spatial_scale``:
            ``dict(type='mmped.RoIPool', output_size=(14, 7))`` (the paper's max pooling, CPU
            and GPU) or an mmcv op such as ``dict(type='RoIAlign', output_size=(14, 7),
            sampling_ratio=0)`` (mmcv's ``'RoIPool'`` has CUDA kernels only).
        in_channels (Sequence[int]): Channels of the four levels conv1..conv4
            (ResNet-50: 64, 256, 512, 1024).
        featmap_strides (Sequence[int]): Strides of conv1..conv4 (2, 4, 8, 16).
        levels (Sequence[int]): The fused levels (1-based, increasing). Defaults to (1, 2, 3, 4).
        out_level (int, optional): Level whose channels the output has (>= ``levels[-1]``);
            None = ``levels[-1]``. Defaults to None.
        norm_cfg (dict): Normalisation of the transform blocks. Defaults to BN.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 roi_layer: dict = dict(type='mmped.RoIPool', output_size=(14, 7)),
                 in_channels: Sequence[int] = (64, 256, 512, 1024),
                 featmap_strides: Sequence[int] = (2, 4, 8, 16),
                 levels: Sequence[int] = (1, 2, 3, 4),
                 out_level: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        levels = tuple(int(lv) for lv in levels)
        if not levels or list(levels) != sorted(set(levels)) or levels[0] < 1 or \
                levels[-1] > len(in_channels):
            raise ValueError(f'levels must be increasing within 1..{len(in_channels)}, '
                             f'got {levels}')
        if len(in_channels) != len(featmap_strides):
            raise ValueError('in_channels and featmap_strides differ in length')
        out_level = levels[-1] if out_level is None else int(out_level)
        if not levels[-1] <= out_level <= len(in_channels):
            raise ValueError(f'out_level must be within {levels[-1]}..{len(in_channels)}, '
                             f'got {out_level}')
        self.levels = levels
        self.out_level = out_level
        self.in_channels = tuple(in_channels)
        self.featmap_strides = tuple(featmap_strides)
        self.roi_layers = build_roi_layers(roi_layer, [featmap_strides[lv - 1] for lv in levels])
        # fusion stages between the selected levels, then plain transforms up to out_level
        chain = levels + tuple(range(levels[-1] + 1, out_level + 1))
        self.transforms = nn.ModuleDict({
            f'T{cur}': make_transform(in_channels[prev - 1], in_channels[cur - 1], norm_cfg)
            for prev, cur in zip(chain[:-1], chain[1:])
        })

    @property
    def out_channels(self) -> int:
        """Channels of the output RoI feature (those of ``out_level``)."""
        return self.in_channels[self.out_level - 1]

    def forward(self, feats: Sequence[Tensor], rois: Tensor) -> Tensor:
        """Pool and fuse.

        Args:
            feats (Sequence[Tensor]): The four level maps conv1..conv4, (B, C_l, H_l, W_l).
            rois (Tensor): RoIs (N, 5) as ``(batch_index, x1, y1, x2, y2)`` in input pixels.

        Returns:
            Tensor: Fused RoI features (N, C_out, h, w), ``C_out`` = :attr:`out_channels`.
        """
        if len(feats) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} level maps, got {len(feats)}')
        fused = None
        for lv, layer in zip(self.levels, self.roi_layers):
            pooled = layer(feats[lv - 1], rois)
            fused = pooled if fused is None else torch.maximum(
                self.transforms[f'T{lv}'](fused), pooled)
        for lv in range(self.levels[-1] + 1, self.out_level + 1):
            fused = self.transforms[f'T{lv}'](fused)
        return fused
