# Copyright (c) mmped contributors. All rights reserved.
"""tools/dist_train.sh and dist_test.sh as users launch them: torchrun, 2 processes (gloo on a
machine without CUDA)."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmped.testing import REPO_ROOT
from mmped.utils import load_from_local

TINY_CFG = REPO_ROOT / 'tests' / 'data' / 'configs' / 'tiny_retinanet_coco.py'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _launch(script: str, *args, cwd: Path) -> str:
    env = dict(os.environ, PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}',
               PORT=str(_free_port()), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    out = subprocess.run(['bash', str(REPO_ROOT / 'tools' / script), *map(str, args)], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=600)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-5000:]
    return log


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='the CPU (gloo) path of the launchers')
def test_dist_train_and_test_with_two_processes(tiny_coco, tmp_path):
    root = f'{tiny_coco}/'
    opts = ['--cfg-options', f'train_dataloader.dataset.data_root={root}',
            f'val_dataloader.dataset.data_root={root}', f'test_dataloader.dataset.data_root={root}',
            f'val_evaluator.ann_file={root}annotations.json',
            f'test_evaluator.ann_file={root}annotations.json', 'randomness.seed=0']
    work = tmp_path / 'work'
    log = _launch('dist_train.sh', TINY_CFG, 2, '--work-dir', work, *opts, cwd=tmp_path)
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    # 4 images, batch 2: one iteration per rank with 2 processes (2 in a single process)
    assert 'Epoch(train) [1][1/1]' in log
    ckpt = load_from_local(work / 'epoch_1.pth')
    assert ckpt['meta']['iter'] == 1 and ckpt['meta']['epoch'] == 1
    # the DDP wrapper's `module.` prefix is not saved
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])

    log = _launch('dist_test.sh', TINY_CFG, work / 'epoch_1.pth', 2, '--work-dir', work, *opts,
                  cwd=tmp_path)
    assert 'coco/bbox_mAP' in log and 'GPU number: 2' in log
