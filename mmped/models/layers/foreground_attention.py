# Copyright (c) mmped contributors. All rights reserved.
"""Foreground segmentation head and foreground attention module (FAM) of BUFF."""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmped.models.task_modules.box_masks import boxes_to_mask
from mmped.registry import MODELS


@MODELS.register_module()
class ForegroundAttention(BaseModule):
    """Foreground probability map from one level and residual attention on several levels.

    Segmentation head (BUFF sec. 4.2): a 1 x 1 convolution (``in_channels -> 1``) + sigmoid on
    the conv3 features gives the foreground probability ``a``; it is trained with binary cross
    entropy against box masks (1 inside any ground-truth box, 0 elsewhere; rasterised with
    :func:`mmped.models.task_modules.box_masks.boxes_to_mask` at the feature stride), averaged
    over all cells (Eq. 1). FAM (Eq. 2): ``X_hat = X + X * a_l`` where ``a_l`` is ``a``
    bilinearly resized to level ``l``.

    Args:
        in_channels (int): Channels of the segmented level (ResNet-50 conv3: 512).
        seg_stride (int): Stride of the segmented level in image pixels (conv3: 8).
        loss_weight (float): Weight of the segmentation loss (BUFF: 1). Defaults to 1.0.
        detach_attention (bool): Stop the re-ID gradient from reaching the segmentation head
            through the attention (the paper trains end to end: False). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 512,
                 seg_stride: int = 8,
                 loss_weight: float = 1.0,
                 detach_attention: bool = False,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)) -> None:
        super().__init__(init_cfg=init_cfg)
        self.seg_conv = nn.Conv2d(in_channels, 1, kernel_size=1)
        self.seg_stride = seg_stride
        self.loss_weight = loss_weight
        self.detach_attention = detach_attention

    def seg_logits(self, x: Tensor) -> Tensor:
        """Foreground logits of shape (B, 1, H, W) from the segmented level (B, C, H, W)."""
        return self.seg_conv(x)

    def attend(self, feats: Sequence[Tensor], prob: Tensor) -> List[Tensor]:
        """Apply FAM ``X + X * a`` to every feature map.

        Args:
            feats (Sequence[Tensor]): Feature maps (B, C_l, H_l, W_l).
            prob (Tensor): Foreground probability (B, 1, H, W).

        Returns:
            list[Tensor]: Attended maps, same shapes as ``feats``.
        """
        if self.detach_attention:
            prob = prob.detach()
        out = []
        for x in feats:
            a = prob if prob.shape[-2:] == x.shape[-2:] else F.interpolate(
                prob, size=x.shape[-2:], mode='bilinear', align_corners=False)
            out.append(x + x * a)
        return out

    def loss(self, logits: Tensor, batch_gt_bboxes: Sequence[Tensor]) -> Dict[str, Tensor]:
        """BCE between the foreground map and box masks.

        Args:
            logits (Tensor): Foreground logits (B, 1, H, W).
            batch_gt_bboxes (Sequence[Tensor]): Per image ground-truth boxes (N_i, 4), xyxy in
                network-input pixels.

        Returns:
            dict[str, Tensor]: ``loss_seg``.
        """
        h, w = logits.shape[-2:]
        targets = torch.stack([
            boxes_to_mask(b.to(logits.device), (h, w), stride=self.seg_stride).to(logits.dtype)
            for b in batch_gt_bboxes
        ])[:, None]
        loss = F.binary_cross_entropy_with_logits(logits, targets)
        return dict(loss_seg=self.loss_weight * loss)
