# Copyright (c) mmped contributors. All rights reserved.
"""The commands of the README, run as a user runs them: the environment's own ``mim``, from a
working directory outside the checkout, on configs found by name in the installed package."""
import json
from pathlib import Path

import pytest

from mmped.testing import run_mim

DEMO_CONFIG = 'configs/gdfl/gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py'
# 2 iterations of the demo config, validated and checkpointed at the end
TWO_ITERS = ['--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=2']


def make_demo_data(user_dir: Path, python=None) -> None:
    """The demo's synthetic CityPersons data, where the demo config looks (``demo_out/data``)."""
    kwargs = {} if python is None else dict(python=python)
    run_mim(['run', 'mmped', 'make_synthetic_citypersons', 'demo_out/data', '--num-train', '6',
             '--num-val', '3'], cwd=user_dir, **kwargs)


def train_and_test_demo(user_dir: Path, python=None) -> str:
    """``mim train`` then ``mim test`` of the demo config; returns both outputs."""
    kwargs = {} if python is None else dict(python=python)
    train = run_mim(['train', 'mmped', DEMO_CONFIG, '--work-dir', 'work_dirs/demo', *TWO_ITERS],
                    cwd=user_dir, **kwargs)
    ckpt = user_dir / 'work_dirs' / 'demo' / 'iter_2.pth'
    assert ckpt.is_file()
    out = run_mim(['test', 'mmped', DEMO_CONFIG, '--checkpoint', 'work_dirs/demo/iter_2.pth',
                   '--work-dir', 'work_dirs/demo_test'], cwd=user_dir, **kwargs)
    return train.stdout + train.stderr + out.stdout + out.stderr


@pytest.mark.slow
def test_mim_commands_from_a_directory_outside_the_checkout(tmp_path):
    user_dir = tmp_path / 'user'
    user_dir.mkdir()
    make_demo_data(user_dir)
    assert (user_dir / 'demo_out' / 'data' / 'annotations' / 'val_gt.json').is_file()
    log = train_and_test_demo(user_dir)
    # the CityPersons miss-rate protocol ran on the 3 val images
    assert 'pedestrian/Reasonable' in log
    scalars = list((user_dir / 'work_dirs' / 'demo_test').glob('*/*.json'))
    assert scalars and 'pedestrian/All' in json.loads(scalars[0].read_text())

    # a user's config inheriting mmped's, with TensorBoard logging as the README shows it
    (user_dir / 'my_variant.py').write_text(
        f"_base_ = 'mmped::{DEMO_CONFIG.split('/', 1)[1]}'\n"
        "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
        "dict(type='TensorboardVisBackend')])\n")
    run_mim(['test', 'mmped', 'my_variant.py', '--checkpoint', 'work_dirs/demo/iter_2.pth',
             '--work-dir', 'work_dirs/variant'], cwd=user_dir)
    assert list((user_dir / 'work_dirs' / 'variant').glob('*/vis_data/events.out.tfevents.*'))

    env = run_mim(['run', 'mmped', 'collect_env'], cwd=user_dir).stdout
    assert 'MMCV ops: yes' in env and 'MMDetection: 3.3.0' in env
    # openmim answers `-h` itself for codebases it does not list: `--` passes it to the script
    usage = run_mim(['run', 'mmped', 'eval_mr', '--', '-h'], cwd=user_dir).stdout
    assert '--protocol' in usage
    usage = run_mim(['run', 'mmped', 'upgrade_checkpoint', '--', '-h'], cwd=user_dir).stdout
    assert '--trust' in usage
