# Copyright (c) mmped contributors. All rights reserved.
"""Classification distillation loss with hard and soft labels (DCRD-PDN, Eq. (16))."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class SoftHardCrossEntropyLoss(nn.Module):
    """``zeta * CE(y_hard, softmax(d_s)) + (1 - zeta) * CE(softmax(d_t / T), softmax(d_s))``.

    The generalized distillation loss of Eq. (16): the student's softmax (temperature 1, as
    written in the paper) is compared with the ground-truth label and with the teacher's
    softened prediction. The paper gives no value for the temperature ``T``; the default 1.0
    is our choice (configurable). Both terms are per-sample cross-entropies, weighted by
    ``weight`` and averaged by ``avg_factor`` as mmdet's ``CrossEntropyLoss`` does, so with
    ``zeta=1`` this is exactly mmdet's softmax cross-entropy.

    Args:
        zeta (float): Weight of the hard-label term. Defaults to 0.5.
        temperature (float): ``T`` softening the teacher logits. Defaults to 1.0.
        loss_weight (float): Overall weight. Defaults to 1.0.
        reduction (str): ``'mean'``, ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
    """

    def __init__(self,
                 zeta: float = 0.5,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if not 0.0 <= zeta <= 1.0:
            raise ValueError(f'zeta must be in [0, 1], got {zeta}')
        if temperature <= 0:
            raise ValueError(f'temperature must be positive, got {temperature}')
        self.zeta = zeta
        self.temperature = temperature
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                teacher_score: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Student logits of shape (R, K + 1).
            label (Tensor): Ground-truth class indices of shape (R, ).
            teacher_score (Tensor): Teacher logits of shape (R, K + 1).
            weight (Tensor, optional): Per-sample weights of shape (R, ).
            avg_factor (float, optional): Normaliser of the ``'mean'`` reduction.

        Returns:
            Tensor: Scalar loss (shape (R, ) with ``reduction='none'``).
        """
        if cls_score.shape != teacher_score.shape:
            raise ValueError(f'student logits {tuple(cls_score.shape)} and teacher logits '
                             f'{tuple(teacher_score.shape)} differ')
        log_prob = F.log_softmax(cls_score, dim=-1)
        hard = F.nll_loss(log_prob, label.long(), reduction='none')
        soft_target = F.softmax(teacher_score.detach() / self.temperature, dim=-1)
        soft = -(soft_target * log_prob).sum(dim=-1)
        loss = self.zeta * hard + (1.0 - self.zeta) * soft
        if weight is not None:
            weight = weight.float()
        return self.loss_weight * weight_reduce_loss(loss, weight, self.reduction, avg_factor)
