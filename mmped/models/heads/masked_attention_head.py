# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR's side-branch head: masked, confidence-weighted spatial attention (AAAI 2020)."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.models.layers.self_mask_block import (
    NORMAL_INIT,
    MaskBlock,
    conv_norm_act,
    residual_stack,
)
from mmped.registry import MODELS


@MODELS.register_module()
class MaskedAttentionHead(BaseModule):
    """Mask branch + SRN-style confidence-weighted attention giving per-attribute logits.

    1. Mask branch (``with_mask=True``, Da-HAR's "fine distraction-aware" step):
       ``num_mask_blocks`` residual blocks, then a :class:`MaskBlock` (three 1x1 convolutions,
       no output BN) predict person-mask logits ``M`` of shape (N, 1, H, W); the input features
       are multiplied by ``sigmoid(M)``. ``M`` is trained with per-crop person masks where they
       exist (:meth:`loss_mask`). The paper "adds two residual blocks on the top of the mask
       block so that it works in a multi-task manner" without a figure we can read; mmped puts
       the residual blocks in the mask branch, between the features and the mask block, so the
       segmentation task has its own capacity and the features it masks stay the fused ones.
    2. Attention (SRN, Zhu et al. CVPR 2017, without its spatial regularisation):
       attention logits ``Z = conv1x1(ReLU(conv3x3(ReLU(conv1x1(x)))))`` of shape (N, K, H, W)
       with a spatial softmax per attribute ``A = softmax_{HW}(Z)``, and per-position class
       confidences ``S = conv1x1(x)`` (N, K, H, W); the logit of attribute k is
       ``sum_{ij} A_k(i, j) * S_k(i, j)``, i.e. the attention-weighted average of per-position
       linear classifiers (SRN's ``y_att``). ``sigmoid(S) * A`` are SRN's confidence-weighted
       attention maps, returned for visualisation.

    Args:
        num_classes (int): Number of attributes K.
        in_channels (int): Input channels C. Defaults to 1024.
        with_mask (bool): Build the mask branch. Defaults to True (False gives SRN's plain
            attention, the baseline and the Table 3 ablations without masked attention).
        num_mask_blocks (int): Residual blocks in the mask branch. Defaults to 2.
        mask_block (str): ``'bottleneck'`` or ``'basic'``. Defaults to ``'bottleneck'``.
        mask_reduction (int): Hidden reduction of the mask block. Defaults to 4.
        attention_channels (int): Width of SRN's attention convolutions. Defaults to 512.
        loss_mask (dict): Person-mask loss on the logits (sigmoid BCE; soft targets are the
            fraction of person pixels in each cell). Defaults to
            ``dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)``.
        norm_cfg (dict, optional): Norm layer config. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Defaults to N(0, 0.01) for the convolutions.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 1024,
                 with_mask: bool = True,
                 num_mask_blocks: int = 2,
                 mask_block: str = 'bottleneck',
                 mask_reduction: int = 4,
                 attention_channels: int = 512,
                 loss_mask: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, list]] = NORMAL_INIT) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(f'num_classes must be positive, got {num_classes}')
        norm_cfg = norm_cfg or dict(type='BN')
        act_cfg = act_cfg or dict(type='ReLU')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.with_mask = with_mask
        if with_mask:
            self.mask_branch = nn.Sequential(
                residual_stack(in_channels, num_mask_blocks, mask_block, norm_cfg),
                MaskBlock(in_channels, mask_reduction, 1, out_norm=False, norm_cfg=norm_cfg,
                          act_cfg=act_cfg, init_cfg=None))
            self.loss_mask_module = MODELS.build(loss_mask or dict(
                type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0))
        self.attention = nn.Sequential(
            conv_norm_act(in_channels, attention_channels, 1, None, act_cfg),
            conv_norm_act(attention_channels, attention_channels, 3, None, act_cfg),
            conv_norm_act(attention_channels, num_classes, 1))
        self.confidence = conv_norm_act(in_channels, num_classes, 1)

    def forward(self, x: Tensor) -> Dict[str, Optional[Tensor]]:
        """Predict attribute logits (and person-mask logits).

        Args:
            x (Tensor): Fused features of shape (N, C, H, W).

        Returns:
            dict[str, Tensor | None]:
                - ``logits``: attribute logits (N, K).
                - ``mask_logits``: person-mask logits (N, 1, H, W), None without mask branch.
                - ``attention``: spatial softmax attention A (N, K, H, W), sums to 1 over H, W.
                - ``confidence``: per-position attribute logits S (N, K, H, W).
        """
        mask_logits = None
        if self.with_mask:
            mask_logits = self.mask_branch(x)
            x = x * mask_logits.sigmoid()
        n, _, h, w = x.shape
        attention = self.attention(x).flatten(2).softmax(dim=-1)  # (N, K, HW)
        confidence = self.confidence(x).flatten(2)  # (N, K, HW)
        logits = (attention * confidence).sum(dim=-1)
        return dict(
            logits=logits,
            mask_logits=mask_logits,
            attention=attention.view(n, -1, h, w),
            confidence=confidence.view(n, -1, h, w))

    def loss_mask(self, mask_logits: Tensor,
                  mask_targets: Sequence[Optional[Tensor]]) -> Tensor:
        """Person-mask loss over the samples that have a mask target.

        Args:
            mask_logits (Tensor): Logits of shape (N, 1, H, W).
            mask_targets (Sequence[Tensor | None]): Per sample, None (no target: the sample
                does not contribute) or a mask of shape (h, w) at input resolution with values
                in [0, 1]; it is area-resampled to (H, W), giving soft targets.

        Returns:
            Tensor: Scalar loss (zero, still in the graph, when no sample has a target).
        """
        if len(mask_targets) != mask_logits.shape[0]:
            raise ValueError(f'{len(mask_targets)} mask targets for a batch of '
                             f'{mask_logits.shape[0]}')
        keep = [i for i, target in enumerate(mask_targets) if target is not None]
        if not keep:
            return mask_logits.sum() * 0
        size = mask_logits.shape[-2:]
        targets = torch.cat([
            F.interpolate(
                mask_targets[i].to(mask_logits).view(1, 1, *mask_targets[i].shape[-2:]),
                size=size, mode='area') for i in keep
        ])
        return self.loss_mask_module(mask_logits[keep], targets.clamp(0, 1))
