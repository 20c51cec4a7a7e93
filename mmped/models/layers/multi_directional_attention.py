# Copyright (c) mmped contributors. All rights reserved.
"""Multi-directional attention (MDA) of HydraPlus-Net (Liu et al., ICCV 2017, Sec. 3.1).

An MDA module ``F(alpha^i)`` generates an L-channel attention map from the output ``F^i`` of
inception block ``i`` (Eq. 1: ``alpha^i = ReLU(BN(conv1x1(F^i)))``) and multiplies every channel
``alpha^i_l`` with the outputs ``F^k`` of several blocks ``k`` (Eq. 2:
``F~^{i,k}_l = alpha^i_l o F^k``). Each attentive map then passes through the blocks after
``k``, and the L results are concatenated.

Choices where the paper is silent (repeated in ``configs/hpnet/README.md``):

- Blocks have different resolutions (BN-Inception: 1/16, 1/32, 1/32), so ``alpha^i`` is resized
  bilinearly to the size of ``F^k`` before the product (identity when the sizes agree).
- The features an AF-net branch attends to and generates its attention from are those of its
  frozen trunk copy, i.e. exactly the M-net's features (the copies are initialised from the
  M-net and never updated: "in each branch we only fine-tune the blocks after the
  attention-operated block"), so they are computed once, by the M-net. Each branch owns one
  trainable copy of the blocks after its lowest attended block; its attentive maps of different
  levels share these copies ("the M-net is duplicated three times to construct the AF-net").
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint

from mmped.registry import MODELS


@MODELS.register_module()
class MultiDirectionalAttention(BaseModule):
    """Attention map generation of one MDA module and its multi-directional application.

    Args:
        in_channels (int): Channels of the block output the attention is generated from.
        num_channels (int): Attention channels L. Defaults to 8 (the paper's value).
        norm_cfg (dict): Normalisation after the 1x1 conv. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation; the paper prefers ReLU to sigmoid (larger contrast).
            Defaults to ``dict(type='ReLU')``.
        resize_mode (str): Interpolation used to bring the attention map to the size of the
            attended block. Defaults to ``'bilinear'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_channels: int = 8,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 resize_mode: str = 'bilinear',
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if num_channels < 1:
            raise ValueError(f'num_channels must be >= 1, got {num_channels}')
        self.num_channels = num_channels
        self.resize_mode = resize_mode
        self.conv = ConvModule(in_channels, num_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """Attention map of Eq. 1.

        Args:
            feat (Tensor): Block output ``F^i`` of shape (N, C_i, H_i, W_i).

        Returns:
            Tensor: ``alpha^i`` of shape (N, L, H_i, W_i).
        """
        return self.conv(feat)

    def attend(self, alpha: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        """Attentive feature maps of Eq. 2, one per attention channel.

        Args:
            alpha (Tensor): Attention map (N, L, H_i, W_i).
            feat (Tensor): Attended block output ``F^k`` of shape (N, C_k, H_k, W_k).

        Returns:
            Tensor: ``F~^{i,k}`` of shape (N, L, C_k, H_k, W_k), ``[:, l] = alpha_l * F^k``.
        """
        if alpha.shape[-2:] != feat.shape[-2:]:
            kwargs = {} if self.resize_mode == 'nearest' else dict(align_corners=False)
            alpha = F.interpolate(alpha, size=feat.shape[-2:], mode=self.resize_mode, **kwargs)
        return alpha.unsqueeze(2) * feat.unsqueeze(1)


@MODELS.register_module()
class MDABranch(BaseModule):
    """One AF-net branch: an MDA module ``F(alpha^i)`` with the blocks after the attention.

    Args:
        blocks (Sequence[nn.Module]): The M-net's inception blocks (``F^1 .. F^B``); the
            branch keeps its own deep copies of blocks ``min(target_levels)+1 .. B``.
        block_channels (Sequence[int]): Output channels of each block.
        att_level (int): Block ``i`` (0-based) the attention is generated from.
        target_levels (Sequence[int]): Blocks ``k`` (0-based) the attention multiplies.
        num_channels (int): Attention channels L. Defaults to 8.
        attention_cfg (dict, optional): Extra arguments of :class:`MultiDirectionalAttention`.
        with_cp (bool): Activation checkpointing of the block copies while training (as
            mmdet backbones' ``with_cp``): their intermediate activations are recomputed in
            the backward pass instead of being stored (the BN layers of a recomputed block
            update their running statistics twice per step, as with mmdet's ``with_cp``).
            Defaults to False.
        share_blocks (bool): True (the paper's text, "the M-net is duplicated three times"):
            one copy of the later blocks per branch, shared by its attention channels and
            levels. False (the authors' released model definitions): every (level, channel)
            pair has its own copy. Defaults to True.
        embed_channels (int, optional): When given (the authors' layout: 512), each target
            level ends with GAP -> FC ``embed_channels`` -> BN -> ReLU -> dropout, and the
            branch returns these vectors as (N, T * embed_channels, 1, 1). Defaults to None
            (the concatenated maps).
        embed_dropout (float): Dropout of the embedding. Defaults to 0.5.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 blocks: Sequence[nn.Module],
                 block_channels: Sequence[int],
                 att_level: int,
                 target_levels: Sequence[int],
                 num_channels: int = 8,
                 attention_cfg: Optional[Dict] = None,
                 with_cp: bool = False,
                 share_blocks: bool = True,
                 embed_channels: Optional[int] = None,
                 embed_dropout: float = 0.5,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.with_cp = with_cp
        self.share_blocks = share_blocks
        num_blocks = len(blocks)
        targets = sorted(set(int(k) for k in target_levels))
        if not targets:
            raise ValueError('an MDA branch needs at least one target level')
        if not 0 <= att_level < num_blocks or not all(0 <= k < num_blocks for k in targets):
            raise ValueError(f'att_level {att_level} / target_levels {tuple(target_levels)} out '
                             f'of range for {num_blocks} blocks')
        self.att_level = att_level
        self.target_levels = tuple(targets)
        self.num_channels = num_channels
        self.attention = MultiDirectionalAttention(block_channels[att_level], num_channels,
                                                   **(attention_cfg or {}))
        # key = index of the M-net block the copy stands for: 'post_blocks.2' <-> 'blocks.2';
        # unshared copies: '<level>_<channel>_<block>'
        if share_blocks:
            keys = {str(b): b for b in range(targets[0] + 1, num_blocks)}
        else:
            keys = {f'{k}_{c}_{b}': b for k in targets for c in range(num_channels)
                    for b in range(k + 1, num_blocks)}
        self.post_blocks = nn.ModuleDict({key: copy.deepcopy(blocks[b])
                                          for key, b in keys.items()})
        maps_channels = num_channels * block_channels[-1]
        self.embeds = None
        if embed_channels is not None:
            self.embeds = nn.ModuleList([
                nn.Sequential(nn.Linear(maps_channels, embed_channels),
                              nn.BatchNorm1d(embed_channels), nn.ReLU(inplace=True),
                              nn.Dropout(embed_dropout)) for _ in targets])
        self.out_channels = len(targets) * (embed_channels or maps_channels)

    def init_from_trunk(self, blocks: Sequence[nn.Module]) -> None:
        """Copy the weights (and BN statistics) of the M-net blocks into the branch's copies.

        Args:
            blocks (Sequence[nn.Module]): The M-net's blocks, same structure as at build time.
        """
        for key, block in self.post_blocks.items():
            block.load_state_dict(blocks[int(key.split('_')[-1])].state_dict())

    def _run_block(self, block: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and self.training and x.requires_grad:
            return checkpoint(block, x, use_reentrant=False)
        return block(x)

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Multi-directional attentive features of the branch.

        Args:
            feats (Sequence[Tensor]): M-net block outputs, block ``b`` of shape
                (N, C_b, H_b, W_b).

        Returns:
            tuple[Tensor, Tensor]:

            - feature (Tensor): (N, len(target_levels) * L * C_B, H_B, W_B): for each target
              level ``k`` (ascending) the L maps ``alpha_l * F^k`` after blocks ``k+1 .. B``,
              channel index ``(t * L + l) * C_B + c``; with ``embed_channels`` E, the
              per-level embeddings (N, T * E, 1, 1).
            - alpha (Tensor): The attention map (N, L, H_i, W_i).
        """
        alpha = self.attention(feats[self.att_level])
        n, num_l = alpha.shape[:2]
        outs: List[torch.Tensor] = []
        for t, k in enumerate(self.target_levels):
            maps = self.attention.attend(alpha, feats[k])  # (N, L, C_k, H_k, W_k)
            if self.share_blocks:
                x = maps.flatten(0, 1)  # (N*L, C_k, H_k, W_k) through the shared copies
                for b in range(k + 1, len(feats)):
                    x = self._run_block(self.post_blocks[str(b)], x)
                x = x.reshape(n, num_l * x.shape[1], *x.shape[-2:])
            else:
                chans = []
                for c in range(num_l):
                    y = maps[:, c]
                    for b in range(k + 1, len(feats)):
                        y = self._run_block(self.post_blocks[f'{k}_{c}_{b}'], y)
                    chans.append(y)
                x = torch.cat(chans, dim=1)
            if self.embeds is not None:
                x = self.embeds[t](x.mean(dim=(2, 3)))[..., None, None]
            outs.append(x)
        return torch.cat(outs, dim=1), alpha
