# Copyright (c) mmped contributors. All rights reserved.
"""Conditional (teacher-bounded) regression distillation loss (DCRD-PDN, Eq. (17))."""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class BoundedRegressionLoss(nn.Module):
    """``smoothL1(t_s, y) + eps * L_b(t_s, t_t, y)`` (Eq. (17), after Chen et al. NeurIPS'17).

    ``L_b = ||t_s - y||^2`` for a sample whose student error plus the margin ``delta`` exceeds
    the teacher error (``||t_s - y||^2 + delta > ||t_t - y||^2``), 0 otherwise: the teacher is
    used as an upper bound, not as a target. Norms are over the 4 box coordinates of a sample
    (coordinates with zero ``weight`` excluded). Reduction as mmdet's ``SmoothL1Loss``: the
    weighted per-element losses are summed and divided by ``avg_factor`` (or averaged). The
    paper gives no value for ``delta``; the default 0 (penalise whenever the student is worse
    than the teacher) is our choice.

    Args:
        eps (float): Weight ``epsilon`` of the bounded term. Defaults to 0.5.
        margin (float): ``delta``. Defaults to 0.0.
        beta (float, optional): Smooth L1 transition point. ``None`` (default): the ``beta``
            given to :meth:`forward`, which :class:`mmped.models.detectors.DistillFasterRCNN`
            sets to the beta of the stage's plain regression loss (RPN 1/9, RoI 1.0), so that
            the distilled loss differs from the plain one only by the bounded term.
        loss_weight (float): Overall weight (``lambda``). Defaults to 1.0.
        reduction (str): ``'mean'`` or ``'sum'``. Defaults to ``'mean'``.
    """

    def __init__(self,
                 eps: float = 0.5,
                 margin: float = 0.0,
                 beta: Optional[float] = None,
                 loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.eps = eps
        self.margin = margin
        self.beta = beta
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self,
                pred: Tensor,
                target: Tensor,
                teacher_pred: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                beta: Optional[float] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Student deltas of shape (R, 4).
            target (Tensor): Regression targets of shape (R, 4).
            teacher_pred (Tensor): Teacher deltas of shape (R, 4).
            weight (Tensor, optional): Element weights of shape (R, 4) (or (R, )).
            avg_factor (float, optional): Normaliser of the ``'mean'`` reduction.
            beta (float, optional): Smooth L1 beta when the loss was built without one.

        Returns:
            Tensor: Scalar loss.
        """
        if pred.numel() == 0:
            return pred.sum() * 0
        if weight is None:
            weight = torch.ones_like(pred)
        elif weight.dim() == 1:
            weight = weight[:, None].expand_as(pred)
        weight = weight.float()
        beta = self.beta if self.beta is not None else beta
        if beta is None:
            raise ValueError('BoundedRegressionLoss built without beta needs forward(beta=...)')
        diff = (pred - target).abs()
        smooth_l1 = torch.where(diff < beta, 0.5 * diff * diff / beta,
                                diff - 0.5 * beta) if beta > 0 else diff
        student_sq = ((pred - target).pow(2) * weight).sum(dim=-1)  # (R, )
        teacher_sq = ((teacher_pred.detach() - target).pow(2) * weight).sum(dim=-1)
        bounded = student_sq * (student_sq + self.margin > teacher_sq).float()
        total = (smooth_l1 * weight).sum() + self.eps * bounded.sum()
        if self.reduction == 'mean':
            denom = avg_factor if avg_factor is not None else float(pred.shape[0])
            total = total / (denom + torch.finfo(torch.float32).eps)
        return self.loss_weight * total
