# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR's multi-level feature fusion block (Wu et al., AAAI 2020)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.models.layers.self_mask_block import NORMAL_INIT, conv_norm_act, residual_stack
from mmped.registry import MODELS


@MODELS.register_module()
class MultiLevelFusion(BaseModule):
    """Fuse features of several backbone stages into one map (Da-HAR's fusion block).

    Per level: a 1x1 convolution (+BN+ReLU) to ``out_channels``; resampling to the spatial size
    of level ``target_level`` (average pooling to go down, ``upsample_mode`` interpolation to go
    up); the levels are summed (``fusion='sum'``, FPN-like) or concatenated
    (``fusion='concat'``, output width ``out_channels * num_levels``); then ``num_blocks``
    residual blocks "alleviate the aliasing effect of up-sampling". The paper names the three
    components only; the resolution (the middle level, i.e. ResNet's stride-16 ``layer3``, where
    SRN's attention also works), the summation and bottleneck blocks are mmped's choices.

    Args:
        in_channels (Sequence[int]): Channels of each input level.
        out_channels (int): Common channel width. Defaults to 1024.
        target_level (int): Index of the level whose spatial size is the output size.
            Defaults to 1.
        fusion (str): ``'sum'`` or ``'concat'``. Defaults to ``'sum'``.
        num_blocks (int): Residual blocks after fusion. Defaults to 2.
        block (str): ``'bottleneck'`` or ``'basic'``. Defaults to ``'bottleneck'``.
        upsample_mode (str): ``F.interpolate`` mode for up-sampling. Defaults to ``'bilinear'``.
        norm_cfg (dict, optional): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after the 1x1 convolutions. Defaults to ReLU.
        init_cfg (dict | list[dict], optional): Defaults to N(0, 0.01) for all convolutions,
            as in the paper.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: int = 1024,
                 target_level: int = 1,
                 fusion: str = 'sum',
                 num_blocks: int = 2,
                 block: str = 'bottleneck',
                 upsample_mode: str = 'bilinear',
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = NORMAL_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        norm_cfg = norm_cfg or dict(type='BN')
        act_cfg = act_cfg or dict(type='ReLU')
        in_channels = list(in_channels)
        if not in_channels:
            raise ValueError('in_channels must name at least one level')
        if not -len(in_channels) <= target_level < len(in_channels):
            raise ValueError(f'target_level {target_level} out of range for '
                             f'{len(in_channels)} levels')
        if fusion not in ('sum', 'concat'):
            raise ValueError(f"fusion must be 'sum' or 'concat', got {fusion!r}")
        self.in_channels = in_channels
        self.target_level = target_level % len(in_channels)
        self.fusion = fusion
        self.upsample_mode = upsample_mode
        self.lateral_convs = nn.ModuleList(
            conv_norm_act(c, out_channels, 1, norm_cfg, act_cfg) for c in in_channels)
        self.out_channels = out_channels * (len(in_channels) if fusion == 'concat' else 1)
        self.blocks = residual_stack(self.out_channels, num_blocks, block, norm_cfg)

    def _resample(self, x: Tensor, size: Tuple[int, int]) -> Tensor:
        if tuple(x.shape[-2:]) == tuple(size):
            return x
        if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
            return F.adaptive_avg_pool2d(x, size)
        align = False if self.upsample_mode in ('bilinear', 'bicubic') else None
        return F.interpolate(x, size=size, mode=self.upsample_mode, align_corners=align)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Fuse the levels.

        Args:
            inputs (Sequence[Tensor]): One map per level, level i of shape (N, C_i, H_i, W_i).

        Returns:
            Tensor: Fused map of shape (N, out_channels, H_t, W_t) where t = ``target_level``
            (``out_channels * num_levels`` channels with ``fusion='concat'``).
        """
        if len(inputs) != len(self.in_channels):
            raise ValueError(f'expected {len(self.in_channels)} levels, got {len(inputs)}')
        size = tuple(inputs[self.target_level].shape[-2:])
        levels = [self._resample(conv(x), size) for conv, x in zip(self.lateral_convs, inputs)]
        if self.fusion == 'sum':
            fused = levels[0]
            for level in levels[1:]:
                fused = fused + level
        else:
            fused = torch.cat(levels, dim=1)
        return self.blocks(fused)
