# Copyright (c) mmped contributors. All rights reserved.
"""Re-identification head of HydraPlus-Net: one FC layer giving the feature, softmax ID loss."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

from mmped.registry import MODELS


@MODELS.register_module()
class HPNetReIDHead(BaseModule):
    """FC feature layer over pooled features, identity classifier with a softmax loss.

    HP-net applies "a global average pooling and one fully-connected layer" to the
    concatenated features; for re-ID the FC output is the feature vector, trained with a
    softmax identity loss, and matched with the cosine distance at test time (Sec. 3, 6.1).
    The paper gives neither the feature size nor the identity classifier; we use a linear
    identity classifier on the FC output (``feat_dim`` = 512 by default) and return the
    L2-normalised FC output as ``pred_feature``, so Euclidean and cosine rankings agree.

    Args:
        num_classes (int): Number of training identities.
        in_channels (int): Channels of the pooled input feature.
        feat_dim (int): Output size of the FC feature layer. Defaults to 512.
        loss (dict): Identity loss config. Defaults to
            ``dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0)``.
        normalize (bool): L2-normalise ``pred_feature``. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to normal(std=0.01) linears.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_dim: int = 512,
                 loss: Dict = dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
                 normalize: bool = True,
                 init_cfg: Optional[Dict] = dict(type='Normal', layer='Linear', std=0.01)
                 ) -> None:
        super().__init__(init_cfg)
        if num_classes < 1 or in_channels < 1 or feat_dim < 1:
            raise ValueError('num_classes, in_channels and feat_dim must be positive, got '
                             f'{num_classes}, {in_channels}, {feat_dim}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.normalize = normalize
        self.fc = nn.Linear(in_channels, feat_dim)
        self.classifier = nn.Linear(feat_dim, num_classes)
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)

    @staticmethod
    def _last(feats: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
        return feats if isinstance(feats, torch.Tensor) else feats[-1]

    def pre_logits(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]]) -> torch.Tensor:
        """Feature vector. Args: feats: (N, C) or a tuple ending with it. Returns: (N, D)."""
        return self.fc(self._last(feats))

    def forward(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]]) -> torch.Tensor:
        """Identity logits (N, num_classes)."""
        return self.classifier(self.pre_logits(feats))

    def loss(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]],
             data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """Softmax identity loss.

        Args:
            feats (Tensor | tuple[Tensor]): Pooled features (N, C).
            data_samples (list[DataSample]): ``gt_label`` holds the training identity label.

        Returns:
            dict[str, Tensor]: ``loss`` and ``accuracy_top-1`` (a detached percentage).
        """
        logits = self(feats)
        target = torch.cat([ds.gt_label for ds in data_samples]).to(logits.device).long()
        if target.numel() != logits.shape[0]:
            raise ValueError(f'expected one gt_label per sample, got {target.numel()} labels '
                             f'for {logits.shape[0]} samples')
        if target.min() < 0 or target.max() >= self.num_classes:
            raise ValueError(f'identity labels must lie in [0, {self.num_classes}), got '
                             f'[{int(target.min())}, {int(target.max())}]')
        loss = self.loss_module(logits, target, avg_factor=logits.shape[0], **kwargs)
        acc = (logits.argmax(1) == target).float().mean().detach() * 100
        return {'loss': loss, 'accuracy_top-1': acc}

    def predict(self, feats: Union[torch.Tensor, Tuple[torch.Tensor]],
                data_samples: Optional[List[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Set ``pred_feature`` (D,) on every data sample (created when None)."""
        feat = self.pre_logits(feats)
        if self.normalize:
            feat = F.normalize(feat, dim=1)
        if data_samples is None:
            data_samples = [None] * feat.shape[0]
        out = []
        for ds, f in zip(data_samples, feat):
            ds = DataSample() if ds is None else ds
            ds.set_field(f.detach(), 'pred_feature')
            out.append(ds)
        return out
