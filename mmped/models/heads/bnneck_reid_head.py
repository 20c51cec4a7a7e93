# Copyright (c) mmped contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import Tensor

from mmped.registry import MODELS

__all__ = ['BNNeckReIDHead']


@MODELS.register_module()
class BNNeckReIDHead(BaseModule):
    """Re-ID head with a BNNeck (Luo et al., "Bag of Tricks", CVPRW 2019).

    ``f_t`` = pooled feature (N, C) -> BatchNorm1d with a frozen zero bias -> ``f_i`` ->
    bias-free linear classifier over the training identities. The ID loss is on the logits,
    the optional triplet loss on ``f_t``; at test time the feature is ``f_i`` (or ``f_t``
    with ``feat_after_bn=False``), stored as ``pred_feature``.

    Args:
        num_classes (int): Number of training identities.
        in_channels (int): Feature channels C.
        loss_cls (dict, optional): ID loss. None =
            ``dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1, mode='original')``.
        loss_triplet (dict, optional): e.g. ``dict(type='TripletLoss', margin=0.3)`` (mmdet's
            batch-hard triplet; needs identity-balanced batches to find positives).
        feat_after_bn (bool): Test feature after the BN. Defaults to True.
        init_cfg (dict, optional): Defaults to normal init (std 0.001) of the classifier.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss_cls: Union[dict, nn.Module, None] = None,
                 loss_triplet: Union[dict, nn.Module, None] = None,
                 feat_after_bn: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg or dict(type='Normal', layer='Linear', std=0.001))
        self.num_classes = num_classes
        self.bn = nn.BatchNorm1d(in_channels)
        self.bn.bias.requires_grad_(False)
        nn.init.constant_(self.bn.weight, 1.0)
        nn.init.constant_(self.bn.bias, 0.0)
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.feat_after_bn = feat_after_bn
        if loss_cls is None:
            loss_cls = dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1,
                            mode='original')
        self.loss_cls = loss_cls if isinstance(loss_cls, nn.Module) else MODELS.build(loss_cls)
        self.loss_triplet = (loss_triplet if isinstance(loss_triplet, (nn.Module, type(None)))
                             else MODELS.build(loss_triplet))

    @staticmethod
    def pre_logits(feats: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return feat.flatten(1)

    def forward(self, feats: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        """Retrieval features ``(N, C)``."""
        feat = self.pre_logits(feats)
        return self.bn(feat) if self.feat_after_bn else feat

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        feat = self.pre_logits(feats)
        logits = self.classifier(self.bn(feat))
        labels = torch.cat([ds.gt_label for ds in data_samples]).to(logits.device)
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f'identity labels must lie in [0, {self.num_classes}), got '
                             f'[{int(labels.min())}, {int(labels.max())}]: check num_classes '
                             "against the training split's num_ids")
        losses = dict(loss_cls=self.loss_cls(logits, labels, avg_factor=len(labels)))
        if self.loss_triplet is not None:
            losses['loss_triplet'] = self.loss_triplet(feat, labels)
        with torch.no_grad():
            losses['accuracy'] = (logits.argmax(1) == labels).float().mean() * 100
        return losses

    def predict(self, feats: Tuple[Tensor, ...],
                data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        out = self(feats)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(out.shape[0])]
        for ds, f in zip(data_samples, out):
            ds.set_field(f, 'pred_feature')
        return data_samples
