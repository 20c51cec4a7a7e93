# Copyright (c) mmped contributors. All rights reserved.
import inspect
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import Tensor

from mmped.registry import MODELS

__all__ = ['MultiLabelAttrHead', 'stack_attribute_targets']


def stack_attribute_targets(data_samples: Sequence[DataSample],
                            device: Optional[torch.device] = None) -> Tuple[Tensor, Tensor]:
    """Batch ``gt_score`` (N, A) float and ``gt_valid`` (N, A) bool (missing = all valid)."""
    scores = torch.stack([torch.as_tensor(ds.gt_score).float() for ds in data_samples])
    valid = torch.stack([
        torch.as_tensor(ds.gt_valid).bool() if 'gt_valid' in ds else torch.ones(
            scores.shape[1], dtype=torch.bool) for ds in data_samples
    ])
    return scores.to(device), valid.to(device)


@MODELS.register_module()
class MultiLabelAttrHead(BaseModule):
    """Linear multi-label attribute head with ignore-aware losses.

    Input: pooled features ``(N, C)`` (the last item of the neck's tuple). Output: logits
    ``(N, A)``. The loss is built by mmped's ``MODELS`` and called as ``loss(logits,
    gt_score, valid=valid)`` when its ``forward`` has a ``valid`` argument (as
    :class:`WeightedBCELoss`); other losses (e.g. ``mmpretrain.CrossEntropyLoss`` with
    ``use_sigmoid=True``) get ``loss(logits, gt_score, avg_factor=N)`` and refuse batches
    with ignored labels.

    Args:
        num_classes (int): Number of attributes A.
        in_channels (int): Feature channels C.
        loss (dict, optional): Loss config. None = ``dict(type='mmped.WeightedBCELoss',
            mode='exp')``.
        threshold (float): ``pred_label`` = attributes with ``pred_score > threshold``.
        dropout (float): Dropout before the linear layer. Defaults to 0.
        bn (bool): BatchNorm1d on the logits (Rethinking-of-PAR's baseline). Defaults to
            False.
        init_cfg (dict, optional): Defaults to normal init of the linear layer (std 0.01).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: Union[dict, nn.Module, None] = None,
                 threshold: float = 0.5,
                 dropout: float = 0.0,
                 bn: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg or dict(
            type='Normal', layer='Linear', std=0.01, bias=0.0))
        if num_classes <= 0:
            raise ValueError(f'num_classes must be positive, got {num_classes}')
        self.num_classes = num_classes
        self.threshold = threshold
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.fc = nn.Linear(in_channels, num_classes)
        self.bn = nn.BatchNorm1d(num_classes) if bn else nn.Identity()
        loss = loss if loss is not None else dict(type='mmped.WeightedBCELoss', mode='exp')
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        self._takes_valid = 'valid' in inspect.signature(self.loss_module.forward).parameters

    def pre_logits(self, feats: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
        return feat.flatten(1)

    def forward(self, feats: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        """Logits ``(N, A)``."""
        return self.bn(self.fc(self.dropout(self.pre_logits(feats))))

    def loss(self, feats: Tuple[Tensor, ...], data_samples: List[DataSample],
             **kwargs) -> Dict[str, Tensor]:
        logits = self(feats)
        gt, valid = stack_attribute_targets(data_samples, logits.device)
        if self._takes_valid:
            loss = self.loss_module(logits, gt, valid=valid)
        elif bool(valid.all()):
            loss = self.loss_module(logits, gt, avg_factor=logits.shape[0])
        else:
            raise ValueError(f'{type(self.loss_module).__name__} cannot ignore labels with '
                             'gt_valid False; use a loss with a `valid` argument such as '
                             'WeightedBCELoss')
        return dict(loss=loss)

    def predict(self, feats: Tuple[Tensor, ...],
                data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        scores = torch.sigmoid(self(feats))
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.shape[0])]
        for ds, score in zip(data_samples, scores):
            ds.set_pred_score(score).set_pred_label(torch.where(score > self.threshold)[0])
        return data_samples
