# Copyright (c) mmped contributors. All rights reserved.
import json

from mmped.testing import run_mim


def test_mim_train_and_test_one_iteration(tmp_path, tiny_prw, tiny_config):
    """``mim train`` one iteration of BUFF on tiny PRW-format data, then ``mim test``."""
    cfg = tiny_config(tmp_path / 'buff_tiny.py', 'buff_r50_1xb4-5e_prw.py', tiny_prw)
    work = tmp_path / 'work'
    run_mim(['train', 'mmped', cfg, '--work-dir', work, '--cfg-options',
             'train_cfg.val_interval=2'])
    ckpt = work / 'epoch_1.pth'
    assert ckpt.exists()
    out = run_mim(['test', 'mmped', cfg, '--checkpoint', ckpt, '--work-dir', work / 'test',
                   '--cfg-options', 'model.test_cfg.use_gt_boxes=True'])
    assert 'person_search/mAP' in out.stdout + out.stderr
    logs = sorted((work / 'test').glob('*/*.json'))
    metrics = json.loads(logs[-1].read_text().splitlines()[-1])
    # ground-truth gallery boxes: recall and detection AP are perfect by construction
    assert metrics['person_search/det_recall'] == 1.0
    # every query's target is then found, so each query's AP (average precision x recall) is
    # positive: an mAP of 0 means the ranking or the recall scaling is broken
    assert 0.0 < metrics['person_search/mAP'] <= 1.0
