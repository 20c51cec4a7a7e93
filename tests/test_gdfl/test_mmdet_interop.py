# Copyright (c) mmped contributors. All rights reserved.
"""mmped's GDFL components inside a plain mmdet config (``_base_ = 'mmdet::...'``)."""
import torch
from mmengine.config import Config

from mmped.registry import MODELS

CFG = """
_base_ = 'mmdet::ssd/ssd300_coco.py'
model = dict(
    backbone=dict(out_indices=(3, 4)),
    neck=dict(_delete_=True, type='mmped.GraininessAttention', in_channels=(512, 1024),
              in_strides=(8, 16), att_indices=(0, 1), det_indices=(0, 1), layer_classes=(1, 2),
              mask_channels=64),
    bbox_head=dict(
        in_channels=(512, 1024),
        anchor_generator=dict(_delete_=True, type='mmped.PedestrianAnchorGenerator',
                              strides=[8, 16], heights=[[40, 60, 80], [110, 130, 150]])))
"""


def test_mmdet_ssd_config_carries_mmped_neck(tmp_path):
    path = tmp_path / 'ssd300_gdfl_neck.py'
    path.write_text(CFG)
    cfg = Config.fromfile(str(path))
    assert cfg.model._scope_ == 'mmdet'
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SingleStageDetector'
    assert type(model.neck).__name__ == 'GraininessAttention'
    model.eval()
    with torch.no_grad():
        cls_scores, _ = model._forward(torch.rand(1, 3, 96, 96))
    # 2 levels (conv4_3 and fc7 of mmdet's SSDVGG), 3 pedestrian boxes each, 81 classes
    assert [tuple(c.shape) for c in cls_scores] == [(1, 3 * 81, 12, 12), (1, 3 * 81, 6, 6)]
