# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR's mask blocks (Wu et al., AAAI 2020): coarse distraction awareness.

A *mask block* is a residual-like stack of three 1x1 convolutions with BN and activations that
turns a feature map into a one-channel saliency map. The :class:`SelfMaskBlock` multiplies the
features it was computed from by the sigmoid of that map (the "coarse" step, no supervision);
Da-HAR's masked-attention head reuses :class:`MaskBlock` under two residual blocks and supervises
it with person masks (the "fine" step).
"""
from typing import Optional, Tuple

import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck
from torch import Tensor

from mmped.registry import MODELS

NORMAL_INIT = dict(type='Normal', std=0.01, layer='Conv2d')


def conv_norm_act(in_channels: int,
                  out_channels: int,
                  kernel_size: int = 1,
                  norm_cfg: Optional[dict] = None,
                  act_cfg: Optional[dict] = None) -> nn.Sequential:
    """``Conv2d [- norm] [- act]`` with 'same' padding, as plain ``nn`` modules.

    Unlike mmcv's ``ConvModule`` (whose own ``init_weights`` re-initialises its convolution
    with Kaiming after the parent's ``init_cfg``), the convolution here keeps whatever the
    enclosing module's ``init_cfg`` sets, so Da-HAR's N(0, 0.01) initialisation holds.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Odd kernel size. Defaults to 1.
        norm_cfg (dict, optional): Norm layer config; None for a biased convolution.
        act_cfg (dict, optional): Activation config; None for none.

    Returns:
        nn.Sequential: The layers.
    """
    layers = [nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2,
                        bias=norm_cfg is None)]
    if norm_cfg is not None:
        layers.append(build_norm_layer(norm_cfg, out_channels)[1])
    if act_cfg is not None:
        layers.append(build_activation_layer(act_cfg))
    return nn.Sequential(*layers)


def residual_stack(channels: int,
                   num_blocks: int,
                   block: str = 'bottleneck',
                   norm_cfg: Optional[dict] = None) -> nn.Sequential:
    """``num_blocks`` shape-preserving ResNet blocks (mmpretrain's) at ``channels`` width.

    Args:
        channels (int): Input and output channels.
        num_blocks (int): Number of blocks (0 gives an empty, identity ``nn.Sequential``).
        block (str): ``'bottleneck'`` (1x1-3x3-1x1, expansion 4) or ``'basic'`` (3x3-3x3).
        norm_cfg (dict, optional): Norm layer config. Defaults to ``dict(type='BN')``.

    Returns:
        nn.Sequential: The blocks.
    """
    norm_cfg = norm_cfg or dict(type='BN')
    if block == 'bottleneck':
        if channels % 4 and num_blocks:
            raise ValueError(f'bottleneck blocks need channels divisible by 4, got {channels}')
        block_type = Bottleneck
    elif block == 'basic':
        block_type = BasicBlock
    else:
        raise ValueError(f"block must be 'bottleneck' or 'basic', got {block!r}")
    return nn.Sequential(*[
        block_type(channels, channels, norm_cfg=norm_cfg) for _ in range(num_blocks)])


@MODELS.register_module()
class MaskBlock(BaseModule):
    """Three 1x1 convolutions predicting saliency logits (Da-HAR's mask block).

    ``conv(C -> C/r) - BN - act - conv(C/r -> C/r) - BN - act - conv(C/r -> M) [- BN]``, the
    bottleneck shape of a residual block without the 3x3 convolution and without the identity
    path (the paper only says "a stack of three 1x1 convolution layers and some batch
    normalization and activation layers, constructed similar to a residual block").

    The last BN (``out_norm=True``, the default) normalises the logits over the batch and the
    spatial positions, so at initialisation about half of the positions lie above 0.5 after
    the sigmoid. This mirrors the paper's motivation (Fig. 4: channel-summed features
    binarised at their median outline the person). Set ``out_norm=False`` for a plain biased
    output convolution (used by supervised masks, whose logits must be free to saturate).

    Args:
        in_channels (int): Input channels C.
        reduction (int): Channel reduction r of the two hidden convolutions. Defaults to 4.
        mask_channels (int): Output channels M (1 = one spatial mask shared by all feature
            channels). Defaults to 1.
        out_norm (bool): Batch-normalise the output logits. Defaults to True.
        norm_cfg (dict, optional): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Defaults to N(0, 0.01) for the convolutions,
            as the paper initialises every new block.
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 4,
                 mask_channels: int = 1,
                 out_norm: bool = True,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = NORMAL_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels <= 0 or reduction <= 0 or mask_channels <= 0:
            raise ValueError(f'in_channels ({in_channels}), reduction ({reduction}) and '
                             f'mask_channels ({mask_channels}) must be positive')
        norm_cfg = norm_cfg or dict(type='BN')
        act_cfg = act_cfg or dict(type='ReLU')
        mid_channels = max(1, in_channels // reduction)
        self.in_channels = in_channels
        self.mask_channels = mask_channels
        self.layers = nn.Sequential(
            conv_norm_act(in_channels, mid_channels, 1, norm_cfg, act_cfg),
            conv_norm_act(mid_channels, mid_channels, 1, norm_cfg, act_cfg),
            conv_norm_act(mid_channels, mask_channels, 1, norm_cfg if out_norm else None))

    def forward(self, x: Tensor) -> Tensor:
        """Predict saliency logits.

        Args:
            x (Tensor): Features of shape (N, C, H, W).

        Returns:
            Tensor: Logits of shape (N, M, H, W) (apply a sigmoid for the mask).
        """
        return self.layers(x)


@MODELS.register_module()
class SelfMaskBlock(BaseModule):
    """Self-mask block: features re-weighted by their own predicted saliency mask.

    ``out = x * sigmoid(MaskBlock(x))`` (or ``x * (1 + sigmoid(...))`` with
    ``residual=True``, the residual-attention form that can never switch a position off, offered
    for ablations; the paper multiplies, "to filter out the unconcerned regions"). Da-HAR
    inserts one after chosen ResNet stages; it learns without extra supervision.

    Args:
        in_channels (int): Channels C of the features.
        reduction (int): Hidden channel reduction of the mask block. Defaults to 4.
        mask_channels (int): 1 for a spatial mask, C for a per-channel one. Defaults to 1.
        residual (bool): Use ``x * (1 + mask)``. Defaults to False.
        norm_cfg (dict, optional): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Defaults to N(0, 0.01) for the convolutions.
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 4,
                 mask_channels: int = 1,
                 residual: bool = False,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = NORMAL_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        if mask_channels not in (1, in_channels):
            raise ValueError(f'mask_channels must be 1 or in_channels ({in_channels}), '
                             f'got {mask_channels}')
        self.residual = residual
        self.mask_block = MaskBlock(in_channels, reduction, mask_channels, out_norm=True,
                                    norm_cfg=norm_cfg, act_cfg=act_cfg, init_cfg=None)

    def forward_with_mask(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Mask the features and also return the mask.

        Args:
            x (Tensor): Features of shape (N, C, H, W).

        Returns:
            tuple[Tensor, Tensor]: Masked features (N, C, H, W) and the mask in [0, 1] of
            shape (N, M, H, W).
        """
        mask = self.mask_block(x).sigmoid()
        out = x * (1 + mask) if self.residual else x * mask
        return out, mask

    def forward(self, x: Tensor) -> Tensor:
        """Mask the features.

        Args:
            x (Tensor): Features of shape (N, C, H, W).

        Returns:
            Tensor: Masked features of shape (N, C, H, W).
        """
        return self.forward_with_mask(x)[0]
