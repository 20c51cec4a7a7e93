# Copyright (c) mmped contributors. All rights reserved.
"""Checkpoints on torch >= 2.6: weights-only loading, crash-safe saving, resume after kill -9."""
import argparse
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from mmped.testing import REPO_ROOT, run_tool
from mmped.utils import UnsafeCheckpointError, load_from_local, write_bytes_atomic

TINY_CFG = REPO_ROOT / 'tests' / 'data' / 'configs' / 'tiny_retinanet_coco.py'
UPGRADE = 'tools/model_converters/upgrade_checkpoint.py'


class _Payload:
    """Pickles as ``open(marker, 'w')``: loading the file creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


class _GetattrPayload:
    """Pickles as ``getattr(numpy.ndarray, 'tofile')``: an attribute outside the allow-list."""

    def __reduce__(self):
        return (getattr, (np.ndarray, 'tofile'))


def test_crafted_payload_is_refused_after_import_mmped(tmp_path):
    marker = tmp_path / 'payload_ran'
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': _Payload(marker)}, evil)
    # a fresh process, as a user's script: import mmped, then the usual loading calls
    code = textwrap.dedent(f"""
        import sys, torch, mmped
        from mmengine.runner import CheckpointLoader, load_checkpoint
        failures = 0
        for load in (lambda: CheckpointLoader.load_checkpoint({str(evil)!r}),
                     lambda: load_checkpoint(torch.nn.Linear(1, 1), {str(evil)!r}),
                     lambda: torch.load({str(evil)!r})):
            try:
                load()
            except Exception as e:
                failures += 1
                print(type(e).__name__, e)
        sys.exit(0 if failures == 3 else 1)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not marker.exists(), 'the pickled payload ran'
    # mmengine's loader names the offending global and the conversion tool
    assert 'UnsafeCheckpointError' in out.stdout and 'io.open' in out.stdout
    assert UPGRADE in out.stdout and '--trust' in out.stdout


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    crafted = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrPayload()}, crafted)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        load_from_local(crafted)
    # the one use mmengine makes of it: a HistoryBuffer with its statistics methods
    buffer = HistoryBuffer()
    buffer.update(2.0)
    buffer.update(4.0)
    ok = tmp_path / 'hub.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': buffer},
                                'runtime_info': {'best_score': np.float64(0.5),
                                                 'ids': np.arange(3, dtype=np.int64)}}}, ok)
    loaded = CheckpointLoader.load_checkpoint(str(ok))['message_hub']
    assert loaded['log_scalars']['loss'].mean() == 3.0
    assert loaded['runtime_info']['best_score'] == 0.5
    assert loaded['runtime_info']['ids'].tolist() == [0, 1, 2]


def test_full_pickle_checkpoint_names_the_tool_and_the_tool_converts_it(tmp_path):
    old = tmp_path / 'old.pth'
    weights = {'conv.weight': torch.arange(6.).reshape(2, 3)}
    torch.save({'state_dict': weights, 'args': argparse.Namespace(lr=0.1, arch='vgg16')}, old)
    with pytest.raises(UnsafeCheckpointError, match=r'argparse\.Namespace.*upgrade_checkpoint'):
        CheckpointLoader.load_checkpoint(str(old))
    before = old.read_bytes()

    new = tmp_path / 'new.pth'
    refused = subprocess.run([sys.executable, str(REPO_ROOT / UPGRADE), str(old), str(new)],
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and '--trust' in refused.stderr and not new.exists()

    run_tool(UPGRADE, ['--trust', old, new])
    converted = load_from_local(new)
    assert torch.equal(converted['state_dict']['conv.weight'], weights['conv.weight'])
    assert converted['args'] == {'lr': 0.1, 'arch': 'vgg16'}
    assert old.read_bytes() == before

    # never over an existing file (here: its own input)
    again = subprocess.run([sys.executable, str(REPO_ROOT / UPGRADE), '--trust', str(new),
                            str(old)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and 'exists' in again.stderr
    assert old.read_bytes() == before


def test_write_bytes_atomic_keeps_old_content_when_killed(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    target.write_bytes(b'old')
    code = textwrap.dedent(f"""
        import os, signal
        from mmped.utils import write_bytes_atomic
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        write_bytes_atomic({str(target)!r}, b'new' * 1000)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, timeout=300)
    assert out.returncode == -9
    assert target.read_bytes() == b'old'
    write_bytes_atomic(target, b'new')
    assert target.read_bytes() == b'new'
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    # the killed write left its temporary file, under a name no loader looks for
    assert len(list(tmp_path.glob('.epoch_1.pth.*.part'))) == 1


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- training runs in subprocesses, killed with SIGKILL at a chosen point -------------------

HOOKS = '''
import builtins
import os
import signal

from mmengine.hooks import Hook

from mmped.registry import HOOKS


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class KillAfterIter(Hook):
    """SIGKILL the process after iteration ``kill_iter`` (after its checkpoint was saved)."""
    priority = 'LOWEST'

    def __init__(self, kill_iter):
        self.kill_iter = kill_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.kill_iter:
            _die()


class _HalfWriter:
    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(data[:len(data) // 2])
        self._f.flush()
        os.fsync(self._f.fileno())
        _die()

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


@HOOKS.register_module()
class KillWhileSaving(Hook):
    """From iteration ``arm_iter`` on, a write to a file named like ``name`` writes half of its
    bytes, then the process is killed (through ``open`` and ``os.fdopen`` alike)."""
    priority = 'LOWEST'

    def __init__(self, arm_iter, name):
        self.arm_iter, self.name = arm_iter, name

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 != self.arm_iter:
            return
        real_open, real_fdopen, name = builtins.open, os.fdopen, self.name

        def wrap(f):
            try:
                path = os.readlink(f'/proc/self/fd/{f.fileno()}')
            except OSError:
                path = str(getattr(f, 'name', ''))
            writing = any(m in getattr(f, 'mode', '') for m in 'wax+')
            return _HalfWriter(f) if writing and name in path else f

        builtins.open = lambda *a, **k: wrap(real_open(*a, **k))
        os.fdopen = lambda *a, **k: wrap(real_fdopen(*a, **k))
'''


def _train(cfg_dir: Path, data: Path, work_dir: Path, max_iters: int, hook: str = '',
           resume: bool = False) -> subprocess.CompletedProcess:
    """Train the iteration-based tiny config, with ``hook`` (a dict(...) source) added."""
    config = cfg_dir / 'iter_cfg.py'
    if hook:
        config = cfg_dir / f'{work_dir.name}_cfg.py'
        config.write_text(f"_base_ = ['./iter_cfg.py']\ncustom_hooks = [{hook}]\n")
    root = f'{data}/'
    opts = [
        f'train_dataloader.dataset.data_root={root}', f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations.json',
        f'test_evaluator.ann_file={root}annotations.json',
        f'train_cfg.max_iters={max_iters}', 'randomness.seed=0'
    ]
    cmd = [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(config),
           '--work-dir', str(work_dir), *(['--resume'] if resume else []), '--cfg-options',
           *opts]
    env = dict(os.environ, PYTHONPATH=str(cfg_dir), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return subprocess.run(cmd, cwd=cfg_dir, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def iter_cfg_dir(tmp_path) -> Path:
    """An iteration-based version of the tiny detector config, plus the killing hooks."""
    cfg_dir = tmp_path / 'cfg'
    cfg_dir.mkdir()
    (cfg_dir / 'kill_hooks.py').write_text(HOOKS)
    (cfg_dir / 'iter_cfg.py').write_text(textwrap.dedent(f"""
        _base_ = [{str(TINY_CFG)!r}]
        custom_imports = dict(imports=['kill_hooks'], allow_failed_imports=False)
        train_dataloader = dict(sampler=dict(type='InfiniteSampler', shuffle=True),
                                batch_sampler=None)
        train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=6,
                         val_interval=1000)
        param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[3], gamma=0.1)]
        default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2))
        log_processor = dict(by_epoch=False)
    """))
    return cfg_dir


def _assert_same_state(a: dict, b: dict) -> None:
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for name in a['state_dict']:
        assert torch.equal(a['state_dict'][name], b['state_dict'][name]), name
    sa, sb = a['optimizer']['state'], b['optimizer']['state']
    assert sa.keys() == sb.keys() and len(sa) > 0
    for key in sa:
        assert torch.equal(sa[key]['momentum_buffer'], sb[key]['momentum_buffer']), key
    assert a['meta']['iter'] == b['meta']['iter']


@pytest.mark.slow
def test_resume_after_kill_continues_where_the_checkpoint_stopped(tiny_coco, iter_cfg_dir,
                                                                   tmp_path):
    reference = _train(iter_cfg_dir, tiny_coco, tmp_path / 'ref', 6)
    assert reference.returncode == 0, reference.stderr[-3000:]

    work = tmp_path / 'killed'
    killed = _train(iter_cfg_dir, tiny_coco, work, 6, "dict(type='KillAfterIter', kill_iter=4)")
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert (work / 'iter_4.pth').is_file() and not (work / 'iter_6.pth').exists()
    at_kill = load_from_local(work / 'iter_4.pth')

    resumed = _train(iter_cfg_dir, tiny_coco, work, 6, resume=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 4' in resumed.stdout + resumed.stderr
    assert at_kill['meta']['iter'] == 4
    # the resumed run ends exactly where the uninterrupted one did: same data order, same
    # optimizer state (momentum buffers), same learning-rate schedule
    _assert_same_state(load_from_local(work / 'iter_6.pth'),
                       load_from_local(tmp_path / 'ref' / 'iter_6.pth'))


@pytest.mark.slow
def test_kill_while_saving_leaves_no_truncated_checkpoint(tiny_coco, iter_cfg_dir, tmp_path):
    work = tmp_path / 'work'
    killed = _train(iter_cfg_dir, tiny_coco, work, 6,
                    "dict(type='KillWhileSaving', arm_iter=3, name='iter_4.pth')")
    assert killed.returncode == -9, killed.stderr[-3000:]
    # the half-written bytes never appear under the checkpoint's name
    assert not (work / 'iter_4.pth').exists()
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    assert load_from_local(work / 'iter_2.pth')['meta']['iter'] == 2

    resumed = _train(iter_cfg_dir, tiny_coco, work, 6, resume=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    assert load_from_local(work / 'iter_6.pth')['meta']['iter'] == 6
