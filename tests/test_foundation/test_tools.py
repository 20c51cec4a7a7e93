# Copyright (c) mmped contributors. All rights reserved.
"""The train / test tools, mim integration and checkpoint resume on torch >= 2.6."""
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmped.testing import REPO_ROOT, run_mim, run_tool
from mmped.utils import register_all_modules

TINY_CFG = REPO_ROOT / 'tests' / 'data' / 'configs' / 'tiny_retinanet_coco.py'


def _data_options(root: Path) -> list:
    root = f'{root}/'
    return [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations.json',
        f'test_evaluator.ann_file={root}annotations.json'
    ]


def _tiny_cfg(data_root: Path, work_dir: Path, max_epochs: int) -> Config:
    cfg = Config.fromfile(str(TINY_CFG))
    cfg.merge_from_dict(dict(opt.split('=', 1) for opt in _data_options(data_root)))
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 100  # no validation: this is about checkpoints
    cfg.default_hooks.checkpoint.interval = 1
    cfg.randomness = dict(seed=0)
    return cfg


@pytest.mark.parametrize('tool', ['tools/train.py', 'tools/test.py'])
def test_tool_help_exits_zero_with_mmdet_flags(tool):
    out = run_tool(tool, ['-h'])
    for flag in ('--work-dir', '--cfg-options', '--launcher', '--local_rank', '--local-rank'):
        assert flag in out.stdout
    if tool.endswith('train.py'):
        assert '--resume' in out.stdout and '--amp' in out.stdout


@pytest.mark.parametrize('tool', ['train', 'test'])
@pytest.mark.parametrize('spelling', [['--local-rank=3'], ['--local_rank', '3'],
                                      ['--local-rank', '3'], ['--local_rank=3']])
def test_tools_accept_every_local_rank_spelling(tool, spelling):
    # torch.distributed.launch passes `--local-rank=N` (torch >= 2.0), older launchers
    # `--local_rank N`; both tools must parse all forms (and export LOCAL_RANK)
    positional = ['cfg.py'] if tool == 'train' else ['cfg.py', 'ckpt.pth']
    code = (f'import os, sys; os.environ.pop("LOCAL_RANK", None); '
            f'sys.argv = ["{tool}.py", *{positional!r}, *{spelling!r}]; '
            f'sys.path.insert(0, "tools"); import {tool}; a = {tool}.parse_args(); '
            'print(a.local_rank, os.environ["LOCAL_RANK"])')
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ['3', '3']


def test_runner_checkpoint_resumes_on_torch_2_6(tiny_coco, tmp_path):
    register_all_modules(init_default_scope=False)
    work_dir = tmp_path / 'work'
    runner = Runner.from_cfg(_tiny_cfg(tiny_coco, work_dir, max_epochs=1))
    runner.train()
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    saved = torch.load(ckpt, weights_only=False)
    # what makes this test meaningful: torch's default (weights_only=True) refuses this file
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt)

    resumed = Runner.from_cfg(_tiny_cfg(tiny_coco, work_dir, max_epochs=2))
    resumed._train_loop = resumed.build_train_loop(resumed._train_loop)
    resumed.optim_wrapper = resumed.build_optim_wrapper(resumed.optim_wrapper)
    resumed.resume(str(ckpt))
    assert resumed.iter == saved['meta']['iter'] == 2
    assert resumed.epoch == saved['meta']['epoch'] == 1
    state = resumed.optim_wrapper.optimizer.state_dict()['state']
    saved_state = saved['optimizer']['state']
    assert state.keys() == saved_state.keys() and len(state) > 0
    for key in state:
        assert torch.equal(state[key]['momentum_buffer'], saved_state[key]['momentum_buffer'])
    model_state = resumed.model.state_dict()
    for name, value in saved['state_dict'].items():
        assert torch.equal(model_state[name], value), name


def test_train_resume_and_test_through_tools(tiny_coco, tmp_path):
    work_dir = tmp_path / 'work'
    opts = ['--cfg-options', *_data_options(tiny_coco), 'randomness.seed=0']
    run_tool('tools/train.py', [TINY_CFG, '--work-dir', work_dir, *opts])
    assert (work_dir / 'epoch_1.pth').is_file()
    # `--resume` without a path picks the latest checkpoint of the work dir
    out = run_tool('tools/train.py', [
        TINY_CFG, '--work-dir', work_dir, '--resume', *opts[:1], *opts[1:],
        'train_cfg.max_epochs=2'
    ])
    assert 'resumed epoch: 1, iter: 2' in (out.stdout + out.stderr)
    assert (work_dir / 'epoch_2.pth').is_file()
    run_tool('tools/test.py', [TINY_CFG, work_dir / 'epoch_2.pth', '--work-dir', work_dir,
                               '--out', tmp_path / 'preds.pkl', *opts])
    assert (tmp_path / 'preds.pkl').is_file()


def test_mim_train_test_and_run(tiny_coco, tmp_path):
    work_dir = tmp_path / 'mim_work'
    opts = ['--cfg-options', *_data_options(tiny_coco)]
    run_mim(['train', 'mmped', TINY_CFG, '--work-dir', work_dir, *opts])
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    run_mim(['test', 'mmped', TINY_CFG, '--checkpoint', ckpt, '--work-dir', work_dir, *opts])
    logs = list(work_dir.glob('*/*.json')) + list(work_dir.glob('*/vis_data/*.json'))
    assert any('coco/bbox_mAP' in p.read_text() for p in logs)
    out = run_mim(['run', 'mmped', 'collect_env'])
    assert 'MMCV ops: yes' in out.stdout
    assert 'MMDetection: 3.3.0' in out.stdout


def test_collect_env_module():
    out = subprocess.run([sys.executable, '-m', 'mmped.utils.collect_env'], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    fields = dict(line.split(': ', 1) for line in out.stdout.splitlines() if ': ' in line)
    for key in ('Python', 'PyTorch', 'TorchVision', 'MMCV', 'MMCV ops', 'MMEngine', 'MMDetection',
                'MMPretrain', 'NumPy', 'CUDA available'):
        assert key in fields, key
    assert fields['MMCV ops'] == 'yes'


def test_version_check_names_the_package(monkeypatch):
    import mmped
    monkeypatch.setattr(mmped, '_REQUIRED', (('mmdet', '3.2.0', '3.3.0', '3.4.0'), ))
    with pytest.raises(ImportError, match=r'mmdet>=3.3.0,<3.4.0.*mmdet==3.2.0'):
        mmped._check_versions()


def test_make_tiny_coco_writes_one_pedestrian_per_image(tmp_path):
    # guard for the data helper used above: a valid COCO file, one category, one box per image
    from mmped.testing import make_tiny_coco
    root = make_tiny_coco(tmp_path / 'd', num_images=2, size=64)
    data = json.loads((root / 'annotations.json').read_text())
    assert [img['file_name'] for img in data['images']] == ['0000.png', '0001.png']
    assert data['categories'] == [dict(id=1, name='pedestrian')]
    assert [a['image_id'] for a in data['annotations']] == [1, 2]
    for ann in data['annotations']:
        x, y, w, h = ann['bbox']
        assert 0 <= x and x + w <= 64 and 0 <= y and y + h <= 64 and ann['area'] == w * h
        assert (root / 'images' / data['images'][ann['image_id'] - 1]['file_name']).is_file()
