# Copyright (c) mmped contributors. All rights reserved.
"""Segmentation-level distillation loss of DCRD-PDN (Eq. (18))."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class SegDistillLoss(nn.Module):
    """``xi * CE(q_s, q_gt) + (1 - xi) * CE(q_s, softmax(q_t / T))`` averaged over cells.

    The first term is the box-mask cross-entropy of the segmentation task averaged over the
    non-ignored cells (Eq. (8)); the second is the cross-entropy between the student's mask and
    the teacher's predicted soft mask averaged over all cells. The paper uses the teacher's
    "predicted masks" without saying hard or soft; we use the soft probabilities (``T`` = 1 by
    default), which carry the teacher's confidence.

    Args:
        xi (float): Weight of the ground-truth term. Defaults to 0.5.
        temperature (float): Softening of the teacher logits. Defaults to 1.0.
        loss_weight (float): Overall weight (``eta``). Defaults to 1.0.
        ignore_index (int): Target value excluded from the ground-truth term. Defaults to 255.
    """

    def __init__(self,
                 xi: float = 0.5,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255) -> None:
        super().__init__()
        if not 0.0 <= xi <= 1.0:
            raise ValueError(f'xi must be in [0, 1], got {xi}')
        self.xi = xi
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index

    def forward(self, seg_logits: Tensor, target: Tensor,
                teacher_logits: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            seg_logits (Tensor): Student logits of shape (N, K, H, W).
            target (Tensor): Long ground-truth mask of shape (N, H, W).
            teacher_logits (Tensor, optional): Teacher logits of shape (N, K, H, W); without
                it only the ground-truth term is computed (weight ``xi`` kept).

        Returns:
            Tensor: Scalar loss.
        """
        if seg_logits.numel() == 0:
            return seg_logits.sum() * 0
        valid = target != self.ignore_index
        if bool(valid.any()):
            gt_term = F.cross_entropy(seg_logits, target, ignore_index=self.ignore_index)
        else:
            gt_term = seg_logits.sum() * 0
        loss = self.xi * gt_term
        if teacher_logits is not None:
            if teacher_logits.shape != seg_logits.shape:
                raise ValueError(f'student masks {tuple(seg_logits.shape)} and teacher masks '
                                 f'{tuple(teacher_logits.shape)} differ')
            soft = F.softmax(teacher_logits.detach() / self.temperature, dim=1)
            kd_term = -(soft * F.log_softmax(seg_logits, dim=1)).sum(dim=1).mean()
            loss = loss + (1.0 - self.xi) * kd_term
        return self.loss_weight * loss
