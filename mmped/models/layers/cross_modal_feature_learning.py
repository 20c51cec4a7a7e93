# Copyright (c) mmped contributors. All rights reserved.
"""Cross-modal feature learning (CFL) module of DCRL-PDN (Liu et al., TCSVT 2021, Sec. III-B)."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class CrossModalFeatureLearning(BaseModule):
    """Split-and-aggregate refinement of the features of several aligned modalities.

    For every modality ``m`` the ``C`` input channels are split: the first ``alpha * C`` channels
    (the *shared* part) go through a point-wise convolution whose weights ``W`` are shared by all
    modalities and give ``S^m``; the remaining ``(1 - alpha) * C`` channels (the *specific* part)
    go through a modality-own group convolution (``groups`` groups, the ``P^m`` of Eq. (3)) and,
    in parallel, a modality-own point-wise convolution (``V^m``); their sum is ``R^m``. Both
    ``S^m`` and ``R^m`` have ``C`` channels. The parameter-free aggregation of Eq. (4)-(6) takes
    the global average of each, ``s^m = GAP(S^m)``, ``r^m = GAP(R^m)``, and mixes per channel:
    ``beta = exp(s) / (exp(s) + exp(r))``, ``gamma = 1 - beta``, ``o^m = beta * S^m + gamma * R^m``.

    Ablations of Table II: ``alpha=0`` (no shared part, ``o = R``), ``alpha=1`` (no specific
    part, ``o = S``) and ``aggregation='average'`` (``o = (S + R) / 2``).

    Choices where the paper is silent (also in ``configs/dcrl/README.md``):

    - the group convolution uses ``specific_kernel_size`` x ``specific_kernel_size`` kernels
      (default 3, padding keeps the size); Eq. (3) writes it as a block-diagonal matrix, which
      with 1x1 kernels would collapse into the parallel point-wise convolution, so a spatial
      kernel is the only reading in which the two parallel paths differ;
    - convolutions have biases and no normalisation; an activation (``act_cfg``, default ReLU) is
      applied to the aggregated output so that the next VGG stage sees non-negative features
      as it does without the module (``act_cfg=None`` disables it);
    - the shared part is the *first* ``round(alpha * C)`` channels.

    Args:
        channels (int): Channels ``C`` of every modality's input and output.
        num_modalities (int): Number of modalities ``M``. Defaults to 2.
        alpha (float): Fraction of channels for the shared part, in ``[0, 1]``. Defaults to 0.5.
        groups (int): Groups ``G`` of the specific group convolution; ``(1 - alpha) * C`` must
            be divisible by it. Defaults to 2.
        aggregation (str): ``'attention'`` (Eq. (4)-(6)) or ``'average'``.
        specific_kernel_size (int): Kernel size of the group convolution. Defaults to 3.
        act_cfg (dict, optional): Activation after aggregation. Defaults to ReLU.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to He's normal
            initialisation: the paper initialises all non-VGG layers with "a random Gaussian
            distribution" without a deviation; a variance-preserving one keeps the signal of
            the five stacked modules (std 0.01 would shrink it at every stage).
    """

    def __init__(self,
                 channels: int,
                 num_modalities: int = 2,
                 alpha: float = 0.5,
                 groups: int = 2,
                 aggregation: str = 'attention',
                 specific_kernel_size: int = 3,
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d', nonlinearity='relu',
                     distribution='normal')) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}')
        if aggregation not in ('attention', 'average'):
            raise ValueError(f"aggregation must be 'attention' or 'average', got {aggregation!r}")
        if num_modalities < 1:
            raise ValueError(f'num_modalities must be >= 1, got {num_modalities}')
        self.channels = channels
        self.num_modalities = num_modalities
        self.alpha = alpha
        self.aggregation = aggregation
        self.shared_channels = int(round(alpha * channels))
        self.specific_channels = channels - self.shared_channels
        if self.specific_channels and self.specific_channels % groups:
            raise ValueError(f'the specific part has {self.specific_channels} channels '
                             f'(C={channels}, alpha={alpha}), not divisible by groups={groups}')
        self.groups = groups

        # W: one point-wise conv shared by every modality
        self.shared_conv = (
            nn.Conv2d(self.shared_channels, channels, 1) if self.shared_channels else None)
        if self.specific_channels:
            # P^m (group conv) and V^m (point-wise conv), one pair per modality
            self.specific_group_convs = nn.ModuleList(
                nn.Conv2d(self.specific_channels, channels, specific_kernel_size,
                          padding=specific_kernel_size // 2, groups=groups)
                for _ in range(num_modalities))
            self.specific_point_convs = nn.ModuleList(
                nn.Conv2d(self.specific_channels, channels, 1) for _ in range(num_modalities))
        else:
            self.specific_group_convs = None
            self.specific_point_convs = None
        self.act = build_activation_layer(act_cfg) if act_cfg is not None else None

    def aggregation_weights(self, shared: Tensor, specific: Tensor) -> Tensor:
        """Channel weights ``beta`` of the shared part (Eq. (4)); ``gamma = 1 - beta``.

        Args:
            shared (Tensor): ``S^m`` of shape (N, C, H, W).
            specific (Tensor): ``R^m`` of shape (N, C, H, W).

        Returns:
            Tensor: ``beta`` of shape (N, C, 1, 1).
        """
        if self.aggregation == 'average':
            return shared.new_full((shared.shape[0], shared.shape[1], 1, 1), 0.5)
        stats = torch.stack([shared.mean(dim=(2, 3)), specific.mean(dim=(2, 3))], dim=0)
        return stats.softmax(dim=0)[0][:, :, None, None]

    def forward_single(self, x: Tensor, modality: int) -> Tensor:
        """Refine the features of one modality.

        Args:
            x (Tensor): Features of shape (N, C, H, W).
            modality (int): Index ``m`` of the modality (selects ``P^m`` and ``V^m``).

        Returns:
            Tensor: ``o^m`` of shape (N, C, H, W).
        """
        if x.shape[1] != self.channels:
            raise ValueError(f'CFL expects {self.channels} channels, got {tuple(x.shape)}')
        shared = specific = None
        if self.shared_conv is not None:
            shared = self.shared_conv(x[:, :self.shared_channels])
        if self.specific_group_convs is not None:
            z = x[:, self.shared_channels:]
            specific = (self.specific_group_convs[modality](z) +
                        self.specific_point_convs[modality](z))
        if shared is None:
            out = specific
        elif specific is None:
            out = shared
        else:
            beta = self.aggregation_weights(shared, specific)
            out = beta * shared + (1 - beta) * specific
        return self.act(out) if self.act is not None else out

    def forward(self, feats: Sequence[Tensor]) -> List[Tensor]:
        """Refine the features of all modalities.

        Args:
            feats (Sequence[Tensor]): ``M`` tensors of shape (N, C, H, W), one per modality, in
                the modality order of the module.

        Returns:
            list[Tensor]: ``M`` tensors of shape (N, C, H, W).
        """
        if len(feats) != self.num_modalities:
            raise ValueError(f'CFL built for {self.num_modalities} modalities got {len(feats)}')
        return [self.forward_single(x, m) for m, x in enumerate(feats)]
