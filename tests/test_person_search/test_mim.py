# Copyright (c) mmped contributors. All rights reserved.
import json

import pytest

from mmped.testing import evaluate_dumped_results, run_mim


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
                   '--out', work / 'gt.pkl', '--cfg-options', 'model.test_cfg.use_gt_boxes=True'])
    metrics = _last_metrics(work / 'gt')
    # ground-truth gallery boxes: recall is perfect by construction
    assert metrics['person_search/det_recall'] == 1.0
    _assert_reported_as_evaluated(metrics, cfg, work / 'gt.pkl')
    if not fam:
        return  # detected boxes: once (BUFF) is enough to keep the suite short
    run_mim(['test', 'mmped', cfg, '--checkpoint', ckpt, '--work-dir', work / 'det',
             '--out', work / 'det.pkl'])
    _assert_reported_as_evaluated(_last_metrics(work / 'det'), cfg, work / 'det.pkl')


def _assert_reported_as_evaluated(metrics, cfg, dump_file):
    """The numbers ``mim test`` logged are the config's protocol on the model's own outputs
    (the tiny model's values themselves are arbitrary; the protocol's are tested on
    hand-worked cases in test_metric*.py)."""
    expected = evaluate_dumped_results(cfg, dump_file)
    assert {'person_search/mAP', 'person_search/top1', 'person_search/det_recall'} <= set(
        expected)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-4), key
