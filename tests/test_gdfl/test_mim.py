# Copyright (c) mmped contributors. All rights reserved.
"""`mim train mmped` / `mim test mmped`: one iteration of each main GDFL / CA-GDFL config.

The configs are shrunk with --cfg-options only (reduced widths, tiny images from the synthetic
generator in the real Caltech / CityPersons layouts, one iteration, no pretrained file).
"""
import json
import math
import pickle

import numpy as np
import pytest
from test_det_benchmarks.test_mr_loop_reference import loop_mr

from mmped.datasets.parsers.auto import load_ground_truth
from mmped.evaluation.functional import evaluate_miss_rate, get_mr_protocol
from mmped.testing import REPO_ROOT, run_mim

from .gdfl_testutils import load_synthetic_generator, make_tiny_caltech

SIZE = (64, 128)
NECK = dict(gdfl='model.neck.mask_channels=16', ca='model.neck.feat_channels=16')


def _model_options(kind: str, levels: int) -> list:
    backbone = [32, 64, 64, 64, 32] + [32] * (levels - 4)
    return [
        'model.backbone.widen_factor=0.125', 'model.backbone.init_cfg=None',
        f'model.neck.in_channels={backbone}', NECK[kind],
        f'model.bbox_head.in_channels={backbone[1:]}'
    ]


def _loader_options(root: str, val_ann: str, test_ann: str) -> list:
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [f'{loader}.dataset.data_root={root}/', f'{loader}.num_workers=0',
                 f'{loader}.persistent_workers=False']
    opts += ['train_dataloader.batch_size=2', 'train_dataloader.dataset.train_filter=None',
             f'val_evaluator.ann_file={root}/{val_ann}',
             f'test_evaluator.ann_file={root}/{test_ann}', 'train_cfg.max_epochs=1',
             'default_hooks.checkpoint.save_best=None', 'randomness.seed=0']
    return opts


CASES = {
    'gdfl_vgg16_4xb8-12e_caltech.py': ('gdfl', 'caltech'),
    'ca-gdfl_vgg16_4xb8-12e_caltech.py': ('ca', 'caltech'),
    'gdfl_vgg16_2xb4-adam-40e_citypersons.py': ('gdfl', 'citypersons'),
    'ca-gdfl_vgg16_2xb4-adam-40e_citypersons.py': ('ca', 'citypersons'),
}


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('gdfl_data')
    caltech = make_tiny_caltech(root / 'caltech', 2, SIZE)
    gen = load_synthetic_generator()
    gen.make_synthetic_citypersons(str(root / 'citypersons'), 2, 2, img_size=SIZE,
                                   height_range=(20., 60.), verbose=False)
    return dict(caltech=caltech, citypersons=root / 'citypersons')


@pytest.mark.parametrize('config', sorted(CASES))
def test_mim_train_and_test_one_iteration(config, tiny_data, tmp_path):
    kind, dataset = CASES[config]
    root = tiny_data[dataset]
    h, w = SIZE
    test_ann = 'coco/test.json' if dataset == 'caltech' else 'annotations/val_gt.json'
    if dataset == 'caltech':
        opts = _model_options(kind, 4) + _loader_options(str(root), 'coco/train.json',
                                                        test_ann) + [
            # the tiny train.json has training set set00 and validation set set05 only
            "train_dataloader.dataset.sequences=['set00']",
            f'train_dataloader.dataset.pipeline.5.scale=({w},{h})',
            f'val_dataloader.dataset.pipeline.1.scale=({w},{h})',
            f'test_dataloader.dataset.pipeline.1.scale=({w},{h})'
        ]
    else:
        opts = _model_options(kind, 6) + _loader_options(str(root), test_ann, test_ann) + [
            f'train_dataloader.dataset.pipeline.3.scale=({w},{h})',
            f'train_dataloader.dataset.pipeline.4.crop_size=({h},{w})',
            f'val_dataloader.dataset.pipeline.1.scale=({w},{h})',
            f'test_dataloader.dataset.pipeline.1.scale=({w},{h})'
        ]
    cfg = REPO_ROOT / 'configs' / 'gdfl' / config
    work_dir = tmp_path / 'work'
    out = run_mim(['train', 'mmped', cfg, '--work-dir', work_dir, '--cfg-options', *opts])
    log = out.stdout + out.stderr
    assert 'loss_cls' in log and 'loss_bbox' in log and 'loss_mask' in log
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    preds = tmp_path / 'preds.pkl'
    run_mim(['test', 'mmped', cfg, '--checkpoint', ckpt, '--work-dir', work_dir,
             '--out', preds, '--cfg-options', *opts])
    results = [json.loads(line) for p in work_dir.glob('*/*.json') for line in
               p.read_text().splitlines() if 'pedestrian/' in line]
    assert results, 'no miss-rate result logged by mim test'
    mr = results[-1]['pedestrian/All']
    gt, dets = _dumped_gt_and_detections(preds, root / test_ann, dataset)
    setup = get_mr_protocol(dataset, setups=['All']).setups[0]
    if dataset == 'citypersons':
        # the plain per-detection loop of the reference rules, on the dumped predictions
        assert sum(len(d[1]) for d in dets.values()) > 0
        assert mr == pytest.approx(100 * loop_mr(gt, dets, setup), abs=1e-6)
    else:
        expected = evaluate_miss_rate(gt, dets, 'caltech', setups=['All'])['All']
        # undefined (nan) exactly when no GT of the tiny frames falls inside the setup
        assert math.isnan(mr) == (expected.num_gt == 0)
        if expected.num_gt:
            assert mr == pytest.approx(100 * expected.mr2, abs=1e-6)


def _dumped_gt_and_detections(preds, ann_file, dataset: str):
    """GT records and ``{img_id: (xywh, scores)}`` of the label-0 predictions ``--out`` dumped.

    The boxes are converted here, independently of the metric (xyxy -> xywh, label 0, scores
    >= the metric's default threshold 0).
    """
    with open(preds, 'rb') as f:
        samples = pickle.load(f)
    dets = {}
    for sample in samples:
        pred = sample['pred_instances']
        boxes, scores = pred['bboxes'].numpy(), pred['scores'].numpy()
        keep = (pred['labels'].numpy() == 0) & (scores >= 0)
        b = boxes[keep].astype(np.float64)
        dets[sample['img_id']] = (np.c_[b[:, :2], b[:, 2:] - b[:, :2]], scores[keep] * 1.0)
    gt = [g for g in load_ground_truth(str(ann_file), dataset) if g['img_id'] in dets]
    assert len(gt) == len(dets) == 2
    return gt, dets
