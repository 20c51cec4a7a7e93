# Copyright (c) mmped contributors. All rights reserved.
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class InstanceSensitiveMaskLoss(nn.Module):
    """GDFL's instance-sensitive weighted softmax loss for attention / segmentation maps.

    ``L = 1 / N_s * sum_i w_i * CE(c_i, l_i)`` with ``w_i = alpha + beta / h_i`` on foreground
    pixels (``l_i != 0``, ``h_i`` the height of the pixel's box) and ``w_i = 1`` on background
    (eq. 5 of the paper; eq. 7-8 for CA-GDFL, where out-of-range pedestrians are given
    ``valid = False`` by :class:`ScaleMaskTargets`). ``N_s`` is the number of pixels of the mask
    (all of them, as in the paper, so ignored pixels do not inflate the others' weight).
    ``alpha = 1, beta = 0`` is the plain softmax loss of the Table VII ablation.

    Args:
        alpha (float): Constant part of the foreground weight. Defaults to 3.0.
        beta (float): Height-inverse part of the foreground weight (pixels). Defaults to 10.0.
        loss_weight (float): Multiplier of the loss (``lambda_m``). Defaults to 1.0.
    """

    def __init__(self, alpha: float = 3.0, beta: float = 10.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.beta = beta
        self.loss_weight = loss_weight

    def pixel_weights(self, labels: Tensor, heights: Tensor,
                      valid: Optional[Tensor] = None) -> Tensor:
        """Per-pixel weights ``w`` (0 where ``valid`` is False).

        Args:
            labels (Tensor): Long labels of shape (N, H, W).
            heights (Tensor): Instance heights of shape (N, H, W) (only read on foreground).
            valid (Tensor, optional): Bool mask of shape (N, H, W).

        Returns:
            Tensor: Float weights of shape (N, H, W).
        """
        fg_w = self.alpha + self.beta / heights.float().clamp(min=1e-6)
        weights = torch.where(labels != 0, fg_w, torch.ones_like(fg_w))
        if valid is not None:
            weights = weights * valid.float()
        return weights

    def forward(self,
                logits: Tensor,
                labels: Tensor,
                heights: Tensor,
                valid: Optional[Tensor] = None) -> Tensor:
        """Compute the loss.

        Args:
            logits (Tensor): Class logits of shape (N, C, H, W) (``C = S_c + 1``, background 0).
            labels (Tensor): Long labels in ``[0, C)`` of shape (N, H, W).
            heights (Tensor): Instance heights in pixels of shape (N, H, W).
            valid (Tensor, optional): Bool mask of shape (N, H, W). Defaults to all valid.

        Returns:
            Tensor: Scalar loss (times ``loss_weight``).
        """
        if logits.shape[-2:] != labels.shape[-2:]:
            raise ValueError(f'logits {tuple(logits.shape)} and labels {tuple(labels.shape)} '
                             'have different spatial sizes')
        ce = F.cross_entropy(logits.float(), labels.long(), reduction='none')  # (N, H, W)
        weights = self.pixel_weights(labels, heights, valid)
        return self.loss_weight * (weights * ce).sum() / max(ce.numel(), 1)
