# Copyright (c) mmped contributors. All rights reserved.
"""Tiny HP-net builders shared by the HP-net tests (imported by file name)."""
import copy
from typing import Dict

import torch
from mmpretrain.structures import DataSample

from mmped.registry import MODELS

NUM_ATTRS = 5

ATTR_HEAD = dict(type='mmpretrain.MultiLabelLinearClsHead', num_classes=NUM_ATTRS,
                 loss=dict(type='mmpretrain.CrossEntropyLoss', use_sigmoid=True))


def tiny_hpnet_cfg(**kwargs) -> Dict:
    """A BN-Inception HP-net at 1/16 width with L = 2 attention channels."""
    cfg = dict(type='HPNet', backbone=dict(type='BNInception', widen_factor=0.0625),
               head=copy.deepcopy(ATTR_HEAD), num_att_channels=2,
               data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'))
    cfg.update(kwargs)
    return cfg


def build_tiny_hpnet(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(tiny_hpnet_cfg(**kwargs))


def attr_samples(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    scores = (torch.rand(n, NUM_ATTRS, generator=g) > 0.5).float()
    return [DataSample().set_gt_score(s) for s in scores]
