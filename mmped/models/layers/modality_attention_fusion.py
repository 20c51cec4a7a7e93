# Copyright (c) mmped contributors. All rights reserved.
"""Modality attention fusion (MAF) of DCRL-PDN (Liu et al., TCSVT 2021, Sec. III-D, Table III)."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class ModalityAttentionFusion(BaseModule):
    """Per-image weights ``mu`` (summing to 1 over modalities) for fusing branch predictions.

    ``mode='attention'`` (MAF, Eq. (10)-(11)): the conv5 features ``o^m`` of every modality are
    flattened, concatenated and fed to an MLP ``D`` giving one logit ``w_m`` per modality;
    ``mu = softmax(w)``. ``mode='average'``: ``mu_m = 1 / M``. ``mode='linear'`` (linearly
    weighted fusion of Table III): one learned logit per modality, shared by every image,
    ``mu = softmax(w)`` (normalised so the fused scores stay on the branches' scale).
    The fused predictions are ``sum_m mu_m * d_m`` (Eq. (12)-(13)), see :meth:`fuse`.

    The paper flattens the whole conv5 map, which ties the MLP to one input size (and for
    640x512 KAIST images gives a 1.3M-dimensional input). Here each map is first average-pooled
    to a fixed ``pool_size`` grid (default 4x5, the KAIST 5:4 aspect ratio) and then flattened,
    which keeps the spatial layout coarsely and works at any input size; ``pool_size=None``
    flattens the raw maps as in the paper: the MLP's input width is computed from the
    configured (padded) network input size ``input_size`` and the feature stride, and inputs of
    another size are refused with a clear error.

    Args:
        in_channels (int): Channels ``C`` of each modality's features.
        num_modalities (int): Number of modalities ``M``. Defaults to 2.
        mode (str): ``'attention'``, ``'average'`` or ``'linear'``. Defaults to ``'attention'``.
        pool_size (tuple[int, int], optional): Grid the maps are pooled to before flattening.
            Defaults to (4, 5).
        hidden_channels (Sequence[int]): Hidden widths of the MLP. Defaults to (256, ).
        input_size (tuple[int, int], optional): ``(H, W)`` of the padded network input, needed
            with ``pool_size=None`` (KAIST: ``(512, 640)``).
        feat_stride (int): Stride of the fused feature maps (VGG16 conv5: 16). Defaults to 16.
        init_cfg (dict | list[dict], optional): Initialisation config (Gaussian, std 0.01).
    """

    def __init__(self,
                 in_channels: int,
                 num_modalities: int = 2,
                 mode: str = 'attention',
                 pool_size: Optional[Tuple[int, int]] = (4, 5),
                 hidden_channels: Sequence[int] = (256, ),
                 input_size: Optional[Tuple[int, int]] = None,
                 feat_stride: int = 16,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01, bias=0)) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in ('attention', 'average', 'linear'):
            raise ValueError(f"mode must be 'attention', 'average' or 'linear', got {mode!r}")
        self.in_channels = in_channels
        self.num_modalities = num_modalities
        self.mode = mode
        self.pool_size = tuple(pool_size) if pool_size is not None else None
        self.mlp = None
        self.logits = None
        self.feat_size = self.pool_size
        if mode == 'attention' and num_modalities > 1:
            if self.pool_size is None:
                self.feat_size = self._literal_feat_size(input_size, feat_stride)
            flat = num_modalities * in_channels * self.feat_size[0] * self.feat_size[1]
            layers = [nn.Flatten(), nn.Linear(flat, hidden_channels[0])]
            widths = list(hidden_channels) + [num_modalities]
            for i in range(len(hidden_channels)):
                layers += [nn.ReLU(inplace=True), nn.Linear(widths[i], widths[i + 1])]
            self.mlp = nn.Sequential(*layers)
        elif mode == 'linear':
            self.logits = nn.Parameter(torch.zeros(num_modalities))

    @staticmethod
    def _literal_feat_size(input_size: Optional[Tuple[int, int]],
                           feat_stride: int) -> Tuple[int, int]:
        """``(h, w)`` of the flattened maps for ``pool_size=None``."""
        if input_size is None:
            raise ValueError('ModalityAttentionFusion(pool_size=None) flattens the raw feature '
                             'maps: give the padded network input size as input_size=(H, W)')
        h, w = (int(v) for v in input_size)
        if h % feat_stride or w % feat_stride:
            raise ValueError(f'input_size {tuple(input_size)} is not a multiple of the feature '
                             f'stride {feat_stride} (pad the input, pad_size_divisor)')
        return h // feat_stride, w // feat_stride

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Fusion weights per image.

        Args:
            feats (Sequence[Tensor]): ``M`` conv5 feature maps of shape (N, C, H, W).

        Returns:
            Tensor: ``mu`` of shape (N, M); every row sums to 1.
        """
        if len(feats) != self.num_modalities:
            raise ValueError(f'fusion built for {self.num_modalities} modalities got '
                             f'{len(feats)} feature maps')
        num_imgs = feats[0].shape[0]
        if self.mlp is not None:
            if self.pool_size is not None:
                feats = [F.adaptive_avg_pool2d(f, self.pool_size) for f in feats]
            elif tuple(feats[0].shape[-2:]) != self.feat_size:
                raise ValueError(f'ModalityAttentionFusion(pool_size=None) was built for '
                                 f'{self.feat_size} feature maps (input_size), got '
                                 f'{tuple(feats[0].shape[-2:])}')
            return self.mlp(torch.cat(feats, dim=1)).softmax(dim=1)
        if self.logits is not None:
            return self.logits.softmax(dim=0)[None].expand(num_imgs, -1)
        return feats[0].new_full((num_imgs, self.num_modalities), 1.0 / self.num_modalities)

    @staticmethod
    def fuse(preds: Sequence[Tensor], weights: Tensor, batch_inds: Tensor) -> Tensor:
        """Weighted sum of per-modality predictions (Eq. (12)-(13)).

        Args:
            preds (Sequence[Tensor]): ``M`` tensors of shape (R, ...), one per modality, row
                ``r`` belonging to image ``batch_inds[r]``.
            weights (Tensor): ``mu`` of shape (N, M).
            batch_inds (Tensor): Long tensor of shape (R, ), the image of each row.

        Returns:
            Tensor: Shape (R, ...), ``sum_m mu[batch_inds, m] * preds[m]``.
        """
        stacked = torch.stack(list(preds), dim=-1)  # (R, ..., M)
        w = weights[batch_inds.long()]  # (R, M)
        w = w.view(w.shape[0], *([1] * (stacked.dim() - 2)), w.shape[1])
        return (stacked * w).sum(dim=-1)
