# Copyright (c) mmped contributors. All rights reserved.
from typing import Optional, Sequence, Tuple, Union

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

    The weights are computed in float32 whatever the dtype of the inputs: under fp16 a ratio
    ``p`` within 5e-4 of 1 rounds to 1 and ``1 / (2(1 - p))`` would be ``inf``.

    Args:
        gt_score (Tensor): Labels in {0, 1}, shape (N, A).
        pos_ratio (Tensor): Positive ratio ``p`` of each attribute in training, shape (A,).
        mode (str): ``'exp'``: ``exp(1 - p)`` on positives and ``exp(p)`` on negatives
            (DeepMAR / Rethinking-of-PAR); ``'dahar'``: ``1 / (2p)`` and ``1 / (2(1 - p))``
            (Da-HAR, AAAI'20, eq. 2); ``'none'``: all ones.
        eps (float): ``p`` is clamped to ``[eps, 1 - eps]``. Defaults to 1e-6.

    Returns:
        Tensor: Weights, shape (N, A), float32.
    """
    if mode not in _MODES:
        raise ValueError(f'mode must be one of {_MODES}, got {mode!r}')
    gt_score = gt_score.float()
    if mode == 'none':
        return torch.ones_like(gt_score)
    p = pos_ratio.to(gt_score).clamp(eps, 1 - eps)  # float32, on the labels' device
    p = p.expand_as(gt_score)
    if mode == 'exp':
        w_pos, w_neg = torch.exp(1 - p), torch.exp(p)
    else:
        w_pos, w_neg = 0.5 / p, 0.5 / (1 - p)
    return torch.where(gt_score > 0.5, w_pos, w_neg)


@MODELS.register_module()
class WeightedBCELoss(nn.Module):
    """Weighted binary cross-entropy for multi-label attributes with ignored labels.

    ``loss_{n,a} = -w_{n,a} * valid_{n,a} * [y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]``
    with the weights of :func:`attribute_weights`, computed in float32.

    Where ``p`` comes from (``pos_ratio``):

    - a sequence of A floats: fixed in the config;
    - ``'train_split'``: the exact positive ratio of the training split, computed once from
      the dataset before training by :class:`mmped.engine.hooks.AttributePosRatioHook` (add
      it to ``custom_hooks``; the mmped attribute configs do). Every rank of a distributed
      run computes the same ratio from the same annotation file. The ratio is a buffer, saved
      with the checkpoint. Training without it set raises an error naming the hook;
    - None: a running estimate ``(positives seen) / (valid labels seen)`` over the training
      batches so far (buffers ``num_pos`` / ``num_valid``, saved with the checkpoint; the
      current batch is counted before weighting). Under DDP each rank sees other batches, so
      the ranks weight differently: prefer ``'train_split'``.

    Args:
        mode (str): ``'exp'``, ``'dahar'`` or ``'none'`` (plain BCE). Defaults to ``'exp'``.
        pos_ratio (Sequence[float] | str, optional): See above.
        reduction (str): ``'batchmean'`` (sum over attributes, mean over samples: the weighted
            CE of DeepMAR, HP-net's reference [13], and Da-HAR's eq. 1 / 2 summed over the
            attributes and averaged over the batch), ``'mean'`` (sum / number of valid
            entries, or ``avg_factor``; gradients A times smaller), ``'sum'`` or ``'none'``.
            Defaults to ``'mean'``.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        eps (float): Clamp of ``p``. Defaults to 1e-6.
    """

    def __init__(self,
                 mode: str = 'exp',
                 pos_ratio: Optional[Union[Sequence[float], str]] = None,
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
        self.ratio_source = 'config'
        if isinstance(pos_ratio, str):
            if pos_ratio != 'train_split':
                raise ValueError("pos_ratio must be a sequence of floats, 'train_split' or "
                                 f'None, got {pos_ratio!r}')
            self.ratio_source = 'train_split'
            self.register_buffer('pos_ratio', torch.zeros(0, dtype=torch.float32))
        elif pos_ratio is not None:
            self.register_buffer('pos_ratio', self._check_ratio(pos_ratio))
        else:
            self.ratio_source = 'running'
            self.pos_ratio = None
            self.register_buffer('num_pos', torch.zeros(0, dtype=torch.float64))
            self.register_buffer('num_valid', torch.zeros(0, dtype=torch.float64))

    @staticmethod
    def _check_ratio(pos_ratio) -> Tensor:
        ratio = torch.as_tensor(pos_ratio, dtype=torch.float32).flatten()
        if not torch.isfinite(ratio).all() or ((ratio < 0) | (ratio > 1)).any():
            raise ValueError('pos_ratio values must lie in [0, 1]')
        return ratio

    @torch.no_grad()
    def set_pos_ratio(self, pos_ratio: Union[Sequence[float], Tensor]) -> None:
        """Set the positive ratio (``pos_ratio='train_split'``), keeping the buffer's device.

        Args:
            pos_ratio (Sequence[float] | Tensor): Ratio per attribute, shape (A,).
        """
        if self.ratio_source != 'train_split':
            raise RuntimeError("set_pos_ratio needs a loss built with pos_ratio='train_split'")
        ratio = self._check_ratio(pos_ratio)
        self.pos_ratio = ratio.to(self.pos_ratio.device)

    def _lazy_buffers(self) -> Tuple[str, ...]:
        if self.ratio_source == 'running':
            return ('num_pos', 'num_valid')
        return ('pos_ratio', ) if self.ratio_source == 'train_split' else ()

    def _load_from_state_dict(self, state_dict, prefix, *args) -> None:
        # lazily sized buffers (A entries once known) adopt the stored size; the new buffer is
        # made on this module's device (a CUDA model loading a CPU checkpoint stays on CUDA)
        for name in self._lazy_buffers():
            stored, own = state_dict.get(prefix + name), getattr(self, name)
            if stored is not None and stored.shape != own.shape:
                setattr(self, name, own.new_zeros(stored.shape))
        super()._load_from_state_dict(state_dict, prefix, *args)

    def current_ratio(self, gt_score: Tensor, valid: Tensor) -> Tensor:
        """Positive ratio used for this batch, shape (A,) (updates the running counts).

        Args:
            gt_score (Tensor): Labels in {0, 1}, shape (N, A).
            valid (Tensor): Bool mask of specified labels, shape (N, A).

        Returns:
            Tensor: Ratios, shape (A,), float32.
        """
        if self.ratio_source != 'running':
            if self.ratio_source == 'train_split' and not self.pos_ratio.numel():
                raise RuntimeError(
                    "WeightedBCELoss(pos_ratio='train_split') has no ratio yet: add "
                    "dict(type='mmped.AttributePosRatioHook') to custom_hooks (it sets the "
                    'training split\'s positive ratio before training), or call '
                    'set_pos_ratio(dataset.positive_ratio())')
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
            Tensor: Scalar float32 loss, or (N, A) for ``reduction='none'``.
        """
        if cls_score.shape != gt_score.shape:
            raise ValueError(f'cls_score {tuple(cls_score.shape)} and gt_score '
                             f'{tuple(gt_score.shape)} must have the same shape (N, A)')
        # float32 throughout: fp16 weights overflow for ratios near 0 or 1
        cls_score, gt_score = cls_score.float(), gt_score.to(cls_score.device).float()
        valid = (torch.ones_like(gt_score, dtype=torch.bool)
                 if valid is None else valid.to(cls_score.device).bool())
        with torch.no_grad():
            if self.mode == 'none':
                weight = valid.float()
            else:
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
