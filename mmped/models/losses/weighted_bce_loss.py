# Copyright (c) mmped contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmped.registry import MODELS

__all__ = ['WeightedBCELoss', 'attribute_weights']

_MODES = ('exp', 'dahar', 'none')
_REDUCTIONS = ('mean', 'batchmean', 'sum', 'none')


def attribute_weights(gt_score: Tensor, pos_ratio: Tensor, mode: str = 'exp',
                      eps: float = 1e-6) -> Tensor:
    """Per-entry weights of the imbalance-aware BCE for multi-label attributes.

    Args:
        gt_score (Tensor): Labels in {0, 1}, shape (N, A).
        pos_ratio (Tensor): Positive ratio ``p`` of each attribute in training, shape (A,).
        mode (str): ``'exp'``: ``exp(1 - p)`` on positives and ``exp(p)`` on negatives
            (DeepMAR / Rethinking-of-PAR); ``'dahar'``: ``1 / (2p)`` and ``1 / (2(1 - p))``
            (Da-HAR, AAAI'20, eq. 2); ``'none'``: all ones.
        eps (float): ``p`` is clamped to ``[eps, 1 - eps]``. Defaults to 1e-6.

    Returns:
        Tensor: Weights, shape (N, A).
    """
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
    if mode == 'none':
        return torch.ones_like(gt_score)
    p = pos_ratio.to(gt_score).clamp(eps, 1 - eps).expand_as(gt_score)
    if mode == 'exp':
        w_pos, w_neg = torch.exp(1 - p), torch.exp(p)
    else:
        w_pos, w_neg = 0.5 / p, 0.5 / (1 - p)
    return torch.where(gt_score > 0.5, w_pos, w_neg)


@MODELS.register_module()
class WeightedBCELoss(nn.Module):
    """Weighted binary cross-entropy for multi-label attributes with ignored labels.

    ``loss_{n,a} = -w_{n,a} * valid_{n,a} * [y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]``
    with the weights of :func:`attribute_weights`.

    Where ``p`` comes from: ``pos_ratio`` given in the config (recommended:
    ``dataset.positive_ratio()`` of the training split, see docs/attributes.md), or, when None,
    a running estimate ``(positives seen) / (valid labels seen)`` over all training batches so
    far (buffers ``num_pos`` / ``num_valid``, saved with the checkpoint; the current batch is
    counted before weighting, so the first batch is weighted by its own ratio). The running
    estimate is an mmped choice for configs that do not precompute the ratio.

    Args:
        mode (str): ``'exp'``, ``'dahar'`` or ``'none'`` (plain BCE). Defaults to ``'exp'``.
        pos_ratio (Sequence[float], optional): Positive ratio per attribute, length A.
        reduction (str): ``'mean'`` (sum / number of valid entries, or ``avg_factor``),
            ``'batchmean'`` (sum over attributes, mean over samples, as Rethinking-of-PAR),
            ``'sum'`` or ``'none'``. Defaults to ``'mean'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        eps (float): Clamp of ``p``. Defaults to 1e-6.
    """

    def __init__(self,
                 mode: str = 'exp',
                 pos_ratio: Optional[Sequence[float]] = None,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
        if reduction not in _REDUCTIONS:
            raise ValueError(f'reduction must be one of {_REDUCTIONS}, got {reduction!r}')
        self.mode = mode
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.eps = eps
        if pos_ratio is not None:
            ratio = torch.as_tensor(pos_ratio, dtype=torch.float32).flatten()
            if ((ratio < 0) | (ratio > 1)).any():
                raise ValueError('pos_ratio values must lie in [0, 1]')
            self.register_buffer('pos_ratio', ratio)
        else:
            self.pos_ratio = None
            self.register_buffer('num_pos', torch.zeros(0, dtype=torch.float64))
            self.register_buffer('num_valid', torch.zeros(0, dtype=torch.float64))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # the running counts are created lazily with A entries: adopt the stored size
        if self.pos_ratio is None:
            for name in ('num_pos', 'num_valid'):
                if prefix + name in state_dict:
                    setattr(self, name, torch.zeros_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def current_ratio(self, gt_score: Tensor, valid: Tensor) -> Tensor:
        """Positive ratio used for this batch, shape (A,) (updates the running counts)."""
        if self.pos_ratio is not None:
            if self.pos_ratio.numel() != gt_score.shape[1]:
                raise ValueError(f'pos_ratio has {self.pos_ratio.numel()} entries but the '
                                 f'labels have {gt_score.shape[1]} attributes')
            return self.pos_ratio
        if self.training or self.num_pos.numel() == 0:
            pos = ((gt_score > 0.5) & valid).sum(0).to(torch.float64)
            cnt = valid.sum(0).to(torch.float64)
            if self.num_pos.numel() == 0:
                self.num_pos = torch.zeros_like(pos)
                self.num_valid = torch.zeros_like(cnt)
            self.num_pos += pos
            self.num_valid += cnt
        return (self.num_pos / self.num_valid.clamp(min=1)).float()

    def forward(self,
                cls_score: Tensor,
                gt_score: Tensor,
                valid: Optional[Tensor] = None,
                avg_factor: Optional[Union[float, Tensor]] = None,
                **kwargs) -> Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape (N, A).
            gt_score (Tensor): Labels in {0, 1}, shape (N, A).
            valid (Tensor, optional): Bool mask of specified labels, shape (N, A); False
                entries (unspecified / uncertain) contribute nothing. None = all valid.
            avg_factor (float | Tensor, optional): Denominator of ``reduction='mean'``.

        Returns:
            Tensor: Scalar loss, or (N, A) for ``reduction='none'``.
        """
        if cls_score.shape != gt_score.shape:
            raise ValueError(f'cls_score {tuple(cls_score.shape)} and gt_score '
                             f'{tuple(gt_score.shape)} must have the same shape (N, A)')
        gt_score = gt_score.to(cls_score.dtype)
        valid = (torch.ones_like(gt_score, dtype=torch.bool)
                 if valid is None else valid.to(cls_score.device).bool())
        with torch.no_grad():
            ratio = self.current_ratio(gt_score, valid)
            weight = attribute_weights(gt_score, ratio, self.mode, self.eps) * valid
        loss = F.binary_cross_entropy_with_logits(
            cls_score, gt_score, weight=weight, reduction='none')
        if self.reduction == 'none':
            return self.loss_weight * loss
        if self.reduction == 'sum':
            return self.loss_weight * loss.sum()
        if self.reduction == 'batchmean':
            return self.loss_weight * loss.sum() / max(cls_score.shape[0], 1)
        denom = avg_factor if avg_factor is not None else valid.sum().clamp(min=1)
        return self.loss_weight * loss.sum() / denom
