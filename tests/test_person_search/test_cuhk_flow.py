# Copyright (c) mmped contributors. All rights reserved.
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric
from mmped.registry import DATASETS, MODELS
from mmped.utils import register_all_modules


def test_cuhk_sysu_protocol_end_to_end(tmp_path, tiny_cuhk, tiny_prw, tiny_config):
    """Raw CUHK-SYSU test split -> model (ground-truth boxes) -> metric with TestG galleries."""
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(tiny_config(tmp_path / 'tiny.py', 'buff_r50_1xb4-5e_prw.py', tiny_prw))
    model = MODELS.build(cfg.model).eval()
    model.init_weights()
    model.test_cfg['use_gt_boxes'] = True
    ds = DATASETS.build(dict(
        type='CUHKSYSUDataset', data_root=str(tiny_cuhk), ann_file='annotation/Images.mat',
        query_file='annotation/test/train_test/TestG2.mat', gallery_size=2,
        data_prefix=dict(img='Image/SSM/'), test_mode=True,
        pipeline=cfg.test_dataloader.dataset.pipeline))
    metric = PersonSearchMetric()
    with torch.no_grad():
        for i in range(len(ds)):
            batch = pseudo_collate([ds[i]])
            out = model.test_step(batch)
            metric.process(batch, [s.to_dict() for s in out])
    assert len(metric.results) == len(ds)  # one result per data sample (mmengine truncates)
    queries = [q for r in metric.results for q in r['queries']]
    assert len(queries) == 1 and queries[0]['gallery'] == ['s5.jpg', 's6.jpg']
    res = metric.compute_metrics(metric.results)
    # the target appears once in the 2-image gallery (s5) and is always "detected" (GT boxes):
    # 4 gallery boxes, so AP is 1, 1/2, 1/3 or 1/4 depending on its rank
    assert res['det_recall'] == 1.0
    assert any(res['mAP'] == pytest.approx(1 / k) for k in (1, 2, 3, 4))
