# Copyright (c) mmped contributors. All rights reserved.
import json

import pytest

from mmped.testing import run_mim


def _last_metrics(work):
    logs = sorted(work.glob('*/*.json'))
    return json.loads(logs[-1].read_text().splitlines()[-1])


@pytest.mark.realdata
@pytest.mark.parametrize('base', ['buff_r50_1xb4-5e_prw.py', 'baseline_r50_1xb4-5e_prw.py'])
def test_mim_train_and_test_on_real_prw_frames(tmp_path, real_prw, tiny_config, base):
    """``mim train`` 2 iterations of the shipped config (shrunk trunk, no ImageNet download) on
    real PRW frames, then ``mim test`` with ground-truth gallery boxes and (BUFF) detected
    boxes."""
    fam = base.startswith('buff')
    cfg = tiny_config(tmp_path / f'tiny_{base}', base, real_prw,
                      levels=(1, 2, 3, 4) if fam else (4, ), fam=fam, num_pids=32)
    work = tmp_path / 'work'
    out = run_mim(['train', 'mmped', cfg, '--work-dir', work, '--cfg-options',
                   'train_cfg.val_interval=100', 'model.pretrained_trunk=None'])
    log = out.stdout + out.stderr
    assert 'Iter(train) [2/2]' in log and 'lr: 1.0000e-03' in log
    ckpt = work / 'iter_2.pth'
    assert ckpt.exists()
    out = run_mim(['test', 'mmped', cfg, '--checkpoint', ckpt, '--work-dir', work / 'gt',
                   '--cfg-options', 'model.test_cfg.use_gt_boxes=True'])
    metrics = _last_metrics(work / 'gt')
    # ground-truth gallery boxes: recall is perfect by construction
    assert metrics['person_search/det_recall'] == 1.0
    assert 0.0 < metrics['person_search/mAP'] <= 1.0
    if not fam:
        return  # detected boxes: once (BUFF) is enough to keep the suite short
    run_mim(['test', 'mmped', cfg, '--checkpoint', ckpt, '--work-dir', work / 'det'])
    metrics = _last_metrics(work / 'det')
    assert 0.0 <= metrics['person_search/det_recall'] <= 1.0
    assert 0.0 <= metrics['person_search/mAP'] <= 1.0
