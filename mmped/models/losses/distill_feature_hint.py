# Copyright (c) mmped contributors. All rights reserved.
"""Feature-level (hint) distillation loss of DCRD-PDN (Liu et al., TCSVT 2021, Eq. (15))."""
from typing import Optional

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class FeatureHintLoss(BaseModule):
    """``rho * ||A(E_s) - E_t||^2`` with a 1x1 adaptation convolution ``A``.

    ``A`` maps the student's conv5 features (``student_channels`` = C) to the teacher's feature
    space (``teacher_channels`` = 2C, the concatenated conv5 CFL outputs of both modalities). The
    adaptation layer lives in the loss (it is trained with the student and used only by the
    loss). The paper writes a plain squared L2 norm without saying how it is normalised; with
    ``reduction='mean'`` (default) the squared difference is averaged over every element
    (batch, channels and positions), which keeps the loss independent of the input size;
    ``'sum'`` sums it.

    Args:
        student_channels (int): Channels of the student features.
        teacher_channels (int, optional): Channels of the teacher features; ``None`` means no
            adaptation layer (the channels must then be equal).
        loss_weight (float): ``rho`` of Eq. (14). Defaults to 0.5.
        reduction (str): ``'mean'`` or ``'sum'``. Defaults to ``'mean'``.
        init_cfg (dict, optional): Initialisation of the adaptation layer (Gaussian, std 0.01).
    """

    def __init__(self,
                 student_channels: int,
                 teacher_channels: Optional[int] = None,
                 loss_weight: float = 0.5,
                 reduction: str = 'mean',
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Conv2d', std=0.01, bias=0)) -> None:
        super().__init__(init_cfg=init_cfg)
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        self.student_channels = student_channels
        self.teacher_channels = teacher_channels or student_channels
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.adaptation = (
            nn.Conv2d(student_channels, teacher_channels, 1)
            if teacher_channels is not None else nn.Identity())

    def forward(self, student_feat: Tensor, teacher_feat: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            student_feat (Tensor): Shape (N, C_s, H, W).
            teacher_feat (Tensor): Shape (N, C_t, H, W), no gradient needed.

        Returns:
            Tensor: Scalar loss.
        """
        adapted = self.adaptation(student_feat)
        if adapted.shape != teacher_feat.shape:
            raise ValueError(f'adapted student features {tuple(adapted.shape)} do not match the '
                             f'teacher features {tuple(teacher_feat.shape)}')
        sq = (adapted - teacher_feat.detach()).pow(2)
        loss = sq.mean() if self.reduction == 'mean' else sq.sum()
        return self.loss_weight * loss
