# Copyright (c) mmped contributors. All rights reserved.
import json

import numpy as np
import pytest
import torch

from mmped.registry import DATASETS, METRICS
from mmped.testing import shared_file
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=False)


def _write_cp_json(path):
    images = [dict(id=1, im_name='a_000000_000001_leftImg8bit.png', width=200, height=100),
              dict(id=2, im_name='a_000000_000002_leftImg8bit.png', width=200, height=100)]
    anns = [
        dict(id=1, image_id=1, category_id=1, ignore=0, iscrowd=0, bbox=[10, 10, 30, 80],
             vis_bbox=[10, 10, 30, 80], height=80, vis_ratio=1.0),
        dict(id=2, image_id=1, category_id=1, ignore=1, iscrowd=0, bbox=[100, 10, 40, 60],
             vis_bbox=[100, 10, 40, 60], height=60, vis_ratio=1.0),
        dict(id=3, image_id=2, category_id=1, ignore=0, iscrowd=0, bbox=[50, 10, 25, 60],
             vis_bbox=[50, 10, 25, 30], height=60, vis_ratio=0.5),
    ]
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=[])))
    return path


def _sample(img_id, boxes_xyxy, scores, labels=None):
    n = len(scores)
    return dict(img_id=img_id, pred_instances=dict(
        bboxes=torch.tensor(boxes_xyxy, dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor(scores, dtype=torch.float32),
        labels=torch.zeros(n, dtype=torch.long) if labels is None else torch.tensor(labels)))


def test_miss_rate_metric_with_ann_file(tmp_path):
    ann = _write_cp_json(tmp_path / 'gt.json')
    metric = METRICS.build(dict(type='MissRateMetric', ann_file=str(ann),
                                protocol='citypersons', mr4=True,
                                outfile_prefix=str(tmp_path / 'res')))
    metric.dataset_meta = dict(classes=('pedestrian', ))
    metric.process({}, [
        _sample(1, [[10, 10, 40, 90], [100, 10, 120, 50], [0, 0, 5, 45]], [.9, .8, .7],
                labels=[0, 0, 1]),  # 2nd absorbed by the ignore region, 3rd other class
        _sample(2, [[150, 0, 170, 50]], [.6]),  # FP; the heavy-occluded GT is missed
    ])
    res = metric.evaluate(2)
    assert res['pedestrian/Reasonable'] == 0.0  # the only Reasonable GT is found, 0.5 FPPI
    assert res['pedestrian/Heavy'] == pytest.approx(100.0)  # its GT is missed
    # All: recall .5 at FPPI 0 .. 0.5 -> miss .5 at the 9 points
    assert res['pedestrian/All'] == pytest.approx(50.0)
    assert 'pedestrian/All_MR-4' in res
    dumped = json.loads((tmp_path / 'res.bbox.json').read_text())
    assert len(dumped) == 3 and dumped[0]['bbox'] == pytest.approx([10, 10, 30, 80])


def test_miss_rate_metric_without_ann_file():
    def samples():
        s = _sample(0, [[10, 10, 40, 90]], [.9])
        s['instances'] = [dict(bbox=[10, 10, 40, 90], ignore_flag=0, height=80, occlusion=0)]
        s2 = _sample(1, [], [])
        s2['gt_instances'] = dict(bboxes=torch.tensor([[20., 20., 60., 200.]]))
        s2['scale_factor'] = (2.0, 2.0)  # resized-image GT -> 90 px high originally
        return [s, s2]

    results = {}
    for drop in (True, False):
        metric = METRICS.build(dict(type='MissRateMetric', protocol='kaist',
                                    setups=['Reasonable-all'],
                                    protocol_cfg=dict(drop_images_without_dets=drop)))
        metric.process({}, samples())
        results[drop] = metric.compute_metrics(metric.results)['recall-all']
    # the MLPD script skips images without detections (its GT is not counted as missed)
    assert results[True] == pytest.approx(100.0)
    assert results[False] == pytest.approx(50.0)


@pytest.mark.realdata
def test_citypersons_dataset_real_and_filter(tmp_path):
    ann = shared_file('citypersons', 'val_gt.json')
    ds = DATASETS.build(dict(type='CityPersonsDataset', ann_file=str(ann),
                             data_prefix=dict(img='leftImg8bit/val'), pipeline=[],
                             train_filter=dict(min_height=50, min_vis=0.65),
                             filter_cfg=dict(filter_empty_gt=True)))
    info = ds.get_data_info(0)
    assert info['img_path'] == 'leftImg8bit/val/frankfurt/frankfurt_000000_000294_leftImg8bit.png'
    inst = info['instances'][1]
    assert inst['bbox'] == [1157.0, 375.0, 1198.0, 474.0] and inst['ignore_flag'] == 0
    assert info['instances'][0]['ignore_flag'] == 1  # 40 px high: outside the train filter
    assert len(ds) < 500  # images without usable pedestrians are filtered in training
    full = DATASETS.build(dict(type='CityPersonsDataset', ann_file=str(ann), pipeline=[],
                               test_mode=True))
    assert len(full) == 500
    n = sum(not i['ignore_flag'] for d in full.load_data_list() for i in d['instances'])
    assert n == 3157


def test_mmdet_pipeline_loads_instances(tmp_path):
    import cv2
    ann = _write_cp_json(tmp_path / 'gt.json')
    (tmp_path / 'img' / 'a').mkdir(parents=True)
    for i in (1, 2):
        cv2.imwrite(str(tmp_path / 'img' / 'a' / f'a_000000_00000{i}_leftImg8bit.png'),
                    np.zeros((100, 200, 3), np.uint8))
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmped'):
        ds = _build_with_pipeline(ann, tmp_path)
    out = ds[0]
    sample = out['data_samples']
    assert sample.gt_instances.bboxes.shape == (1, 4)
    assert sample.ignored_instances.bboxes.shape == (1, 4)


def _build_with_pipeline(ann, tmp_path):
    return DATASETS.build(dict(
        type='CityPersonsDataset', ann_file=str(ann), data_prefix=dict(img=str(tmp_path / 'img')),
        pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='PackDetInputs')]))


@pytest.mark.realdata
def test_kitti_and_mot_metrics_on_real_gt():
    from mmped.datasets.parsers import parse_kitti, parse_mot
    label_dir = shared_file('kitti', 'training', 'label_2')
    metric = METRICS.build(dict(type='KITTIPedestrianMetric', ann_file=str(label_dir)))
    samples = []
    for rec in parse_kitti(label_dir):
        peds = [i['bbox'] for i in rec['instances'] if i['kitti_type'] == 'Pedestrian']
        samples.append(_sample(rec['img_id'], peds or np.zeros((0, 4)), [1.0] * len(peds)))
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    # 2 easy pedestrians found: the devkit's 41-point sampling gives prec 1 at 2 positions
    assert res['kitti/easy_R11'] == pytest.approx(100 / 11)
    assert res['kitti/easy_R40'] == pytest.approx(2.5)

    gt_file = shared_file('mot15_tud', 'TUD-Campus', 'gt.txt')
    metric = METRICS.build(dict(type='MOT17DetMetric', ann_file=str(gt_file)))
    samples = [_sample(r['img_id'], [i['bbox'] for i in r['instances']],
                       [1.0] * len(r['instances'])) for r in parse_mot(gt_file)]
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['mot17det/AP'] == pytest.approx(100.0)
    assert res['mot17det/recall'] == pytest.approx(100.0)
