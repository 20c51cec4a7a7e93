# Copyright (c) mmped contributors. All rights reserved.
"""Every background-influence set (MB, RB, RF, MF) of both datasets, as the tool writes it,
loads through the dataset classes and evaluates with the person-search metric.

Features are an oracle (one-hot of the loaded person label; unlabelled people orthogonal to
everything), so a correctly wired set scores mAP = top-1 = 1 exactly: a query whose image,
box, identity or gallery got lost on the way from the tool to the metric scores less or fails
to load."""
import importlib.util
import json

import cv2
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import get_box_tensor
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric
from mmped.registry import DATASETS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

from .conftest import PRW_FRAMES, make_tiny_cuhk

register_all_modules(init_default_scope=True)
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadPersonSearchAnnotations'),
            dict(type='PackPersonSearchInputs')]


def _tool():
    spec = importlib.util.spec_from_file_location(
        'mbi', REPO_ROOT / 'tools/dataset_converters/make_background_influence.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _table3(dataset: str, variant: str):
    """Test dataset settings of the Table 3 configs (identical for Bsl and BUFF)."""
    sets = [Config.fromfile(REPO_ROOT / 'configs' / 'buff' /
                            f'{m}_r50_1xb4-5e_{dataset}-{variant.lower()}.py')
            for m in ('baseline', 'buff')]
    assert all(c.model.test_cfg.use_gt_boxes for c in sets)
    assert sets[0].test_dataloader.dataset == sets[1].test_dataloader.dataset
    return sets[0].test_dataloader.dataset


def _evaluate(dataset_cfg: dict):
    """Load every image of the set through the pipeline, predict the oracle, run the metric.

    Returns:
        tuple: (metrics dict, list of loaded data samples).
    """
    ds = DATASETS.build(dict(dataset_cfg, test_mode=True, pipeline=PIPELINE))
    num_ids = ds.metainfo['num_person_ids']
    total = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    eye = torch.eye(num_ids + total)
    metric, samples, spare = PersonSearchMetric(), [], num_ids
    for i in range(len(ds)):
        item = ds[i]
        sample = item['data_samples']
        gt = sample.gt_instances
        gt.bboxes = get_box_tensor(gt.bboxes)  # as DetDataPreprocessor(boxtype2tensor=True)
        ids = gt.person_ids.long()
        spare_ids = torch.arange(spare, spare + len(ids))
        spare += len(ids)
        feats = eye[torch.where(ids >= 0, ids, spare_ids)]
        sample.pred_instances = InstanceData(bboxes=gt.bboxes.clone(),
                                             scores=torch.ones(len(ids)),
                                             labels=torch.zeros(len(ids), dtype=torch.long),
                                             reid_feats=feats)
        queries = sample.metainfo.get('queries') or []
        if queries:
            sample.query_feats = eye[torch.tensor([q['person_id'] for q in queries])]
        metric.process({}, [sample.to_dict()])
        samples.append(item)
    return metric.compute_metrics(metric.results), samples


@pytest.fixture
def prw_split(real_prw, tmp_path):
    """The real-frame PRW split and pedestrian-free frames of two other cameras (the release
    has none; flat grey here)."""
    bg = tmp_path / 'pure_background'
    bg.mkdir()
    for cam in (2, 5):
        cv2.imwrite(str(bg / f'c{cam}_empty.png'), np.full((108, 192, 3), 40 * cam, np.uint8))
    return real_prw, bg


@pytest.mark.realdata
def test_prw_every_set_loads_and_evaluates(tmp_path, prw_split):
    root, bg = prw_split
    out = root / 'background_influence'
    _tool().main([str(root / 'test.json'), str(root / 'frames'), str(out), '--dataset', 'prw',
                  '--background-dir', str(bg)])
    base = dict(type='PRWDataset', data_root=str(root), ann_file='test.json',
                query_file='query_info.txt')
    origin, _ = _evaluate(dict(base, data_prefix=dict(img='frames/')))
    assert origin['mAP'] == 1.0 and origin['top1'] == 1.0
    for variant in ('MB', 'RB', 'RF', 'MF'):
        prefix = dict(img=f'background_influence/{variant}/')  # RF / MF: README's override
        if variant in ('MB', 'RB'):  # as the Table 3 configs set it
            prefix = _table3('prw', variant).data_prefix
        res, samples = _evaluate(dict(base, data_prefix=prefix))
        assert len(samples) == 4 and res['mAP'] == 1.0 and res['top1'] == 1.0, variant
        assert res['det_recall'] == 1.0
        first = samples[0]['data_samples']
        assert f'background_influence/{variant}/' in first.img_path
        src = cv2.imread(str(root / 'frames' / PRW_FRAMES[0]))
        assert not np.array_equal(samples[0]['inputs'].permute(1, 2, 0).numpy(), src)


@pytest.mark.parametrize('source', ['raw', 'json'])
def test_cuhk_sysu_every_set_loads_and_evaluates(tmp_path, source):
    root = make_tiny_cuhk(tmp_path / 'CUHK-SYSU', extra_test=2)
    protocol = 'annotation/test/train_test/TestG2.mat'
    base = dict(type='CUHKSYSUDataset', data_root=str(root), ann_file='annotation/Images.mat',
                query_file=protocol, gallery_size=2)
    if source == 'json':  # the test split as COCO-style json with person_id
        raw = DATASETS.build(dict(base, data_prefix=dict(img='Image/SSM/'), test_mode=True))
        infos = [raw.get_data_info(i) for i in range(len(raw))]
        images = [dict(id=k, file_name=d['file_name'], width=d['width'], height=d['height'])
                  for k, d in enumerate(infos)]
        anns = [dict(id=100 * k + j, image_id=k, bbox=[x1, y1, x2 - x1, y2 - y1],
                     person_id=inst['person_id'])
                for k, d in enumerate(infos)
                for j, inst in enumerate(d['instances'])
                for x1, y1, x2, y2 in [inst['bbox']]]
        (root / 'test.json').write_text(json.dumps(dict(images=images, annotations=anns)))
        base['ann_file'] = 'test.json'
    out = root / 'background_influence'
    _tool().main([str(root / base['ann_file']), str(root / 'Image' / 'SSM'), str(out),
                  '--dataset', 'cuhk-sysu', '--protocol', str(root / protocol)])
    origin, _ = _evaluate(dict(base, data_prefix=dict(img='Image/SSM/')))
    assert origin['mAP'] == 1.0 and origin['top1'] == 1.0
    for variant in ('MB', 'RF', 'MF'):
        res, samples = _evaluate(dict(base, data_prefix=dict(img=f'background_influence/'
                                                                 f'{variant}/')))
        assert len(samples) == 5 and res['mAP'] == 1.0 and res['top1'] == 1.0, variant
    # RB: the query pasted into a box of s7 or s8 (outside its gallery s5, s6); gallery unchanged
    table3 = _table3('cuhk-sysu', 'RB')  # its files, with the TestG2 protocol of the fixture
    rb = dict(base, ann_file=table3.ann_file, data_prefix=table3.data_prefix,
              query_file=table3.query_file.replace('TestG100', 'TestG2'))
    res, samples = _evaluate(rb)
    assert res['mAP'] == 1.0 and res['top1'] == 1.0
    (query, ) = [s['data_samples'] for s in samples if s['data_samples'].metainfo['queries']]
    assert query.img_path.split('/')[-1].startswith('rb_q0000_s4_in_s')
    scene = query.img_path.split('_in_')[-1]
    assert scene in ('s7.jpg', 's8.jpg')
    # the pasted query is the 20 x 50 crop of s4 (grey 120) inside the scene's grey
    img = samples[[s['data_samples'].img_path for s in samples].index(query.img_path)]['inputs']
    img = img.int()
    x1, y1, x2, y2 = (int(v) for v in query.metainfo['queries'][0]['bbox'])
    assert (img[:, y1:y2, x1:x2] - 120).abs().max() <= 3
    assert (img[:, 0, 0] - 30 * int(scene[1]) % 256).abs().max() <= 3
