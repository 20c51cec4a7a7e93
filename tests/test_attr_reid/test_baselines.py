# Copyright (c) mmped contributors. All rights reserved.
"""Baseline configs: ``mim train`` (one epoch of 2 iterations) + ``mim test`` of every config on
tiny generated data, and the triplet (P x K) configs."""
import json
import uuid
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim

PAR = REPO_ROOT / 'configs' / 'par_baseline'
REID = REPO_ROOT / 'configs' / 'reid_baseline'


def _loader_opts(key: str, root: Path, extra: dict) -> dict:
    opts = {
        f'{key}.dataset.data_root': f'{root}/',
        f'{key}.batch_size': 2,
        f'{key}.num_workers': 0,
        f'{key}.persistent_workers': False,
    }
    opts.update({f'{key}.dataset.{k}': v for k, v in extra.items()})
    return opts


def shrink_options(kind: str, root: Path, train: dict, test: dict, resize_index: int,
                   crop_index: int = -1) -> dict:
    """``--cfg-options`` making a baseline config tiny (ResNet-18, 32x64 inputs, 1 epoch)."""
    opts = {
        'model.backbone.depth': 18,
        'model.backbone.init_cfg': None,  # ResNet-18: no ResNet-50 ImageNet weights
        'model.head.in_channels': 512,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.logger.interval': 1,
        'visualizer.name': f'vis_{uuid.uuid4().hex}',
        f'train_dataloader.dataset.pipeline.{resize_index}.scale': (32, 64),
        f'val_dataloader.dataset.pipeline.{resize_index}.scale': (32, 64),
    }
    if crop_index >= 0:
        opts[f'train_dataloader.dataset.pipeline.{crop_index}.crop_size'] = (64, 32)
    for key, extra in (('train_dataloader', train), ('val_dataloader', test)):
        opts.update(_loader_opts(key, root, extra))
    if kind == 'reid':
        opts['model.head.num_classes'] = 4
    return opts


CASES = [
    (PAR / 'par-baseline_r50_1xb64-30e_pa100k.py', 'pa100k', 'attr', dict(indices=4),
     dict(indices=4), 1, 'attr/mA'),
    (PAR / 'par-baseline_r50_1xb64-30e_peta.py', 'peta', 'attr', dict(indices=4),
     dict(indices=4), 1, 'attr/mA'),
    (PAR / 'par-baseline_r50_1xb64-30e_rap.py', 'rap', 'attr', dict(indices=4),
     dict(indices=4), 1, 'attr/mA'),
    (PAR / 'par-baseline_r50_1xb64-30e_wider-attribute.py', 'wider', 'attr', dict(indices=4),
     dict(), 2, 'wider_attr/mAP'),
    (REID / 'reid-baseline_r50_1xb64-120e_market1501.py', 'market', 'reid', dict(indices=4),
     dict(), 1, 'reid/mAP'),
    (REID / 'reid-baseline_r50_1xb64-120e_cuhk03-labeled.py', 'cuhk03', 'reid', dict(indices=4),
     dict(), 1, 'reid/mAP'),
    (REID / 'reid-baseline_r50_1xb64-120e_cuhk03-classic.py', 'cuhk03', 'reid',
     dict(indices=4, num_test_ids=2, num_val_ids=2, classic_split_file=None),
     dict(num_test_ids=2, num_val_ids=2, classic_split_file=None), 1, 'reid/R1'),
    (REID / 'reid-baseline_r50_1xb64-120e_viper.py', 'viper', 'reid', dict(indices=4), dict(),
     1, 'reid/R1'),
]


@pytest.mark.parametrize('config,sub,kind,train,test,resize,key', CASES,
                         ids=[c[0].stem for c in CASES])
def test_baseline_mim_train_test(config, sub, kind, train, test, resize, key, tiny_attr_root,
                                 tiny_reid_root, tmp_path):
    """``mim train`` (one epoch, validated) then ``mim test`` of every baseline config."""
    root = (tiny_attr_root if kind == 'attr' else tiny_reid_root) / sub
    opts = shrink_options(kind, root, train, test, resize, 3 if kind == 'reid' else -1)
    opts.update({k.replace('val_dataloader', 'test_dataloader'): v for k, v in opts.items()
                 if k.startswith('val_dataloader')})
    work = tmp_path / 'work'
    cli = cfg_options_cli(opts)
    run_mim(['train', 'mmped', config, '--work-dir', work, *cli])
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()
    run_mim(['test', 'mmped', config, '--checkpoint', ckpt, '--work-dir', work, *cli])
    # the test run's log (the newest run folder) holds the protocol's metric, not NaN
    test_log = sorted(work.glob('*/*.json'))[-1]
    metrics = [json.loads(line) for line in test_log.read_text().splitlines() if line.strip()]
    assert any(key in m and m[key] == m[key] for m in metrics), metrics


TRIPLET_CONFIGS = sorted(REID.glob('*_triplet_*.py'))


@pytest.mark.parametrize('config', TRIPLET_CONFIGS, ids=[c.stem for c in TRIPLET_CONFIGS])
def test_triplet_configs_use_pk_batches(config):
    cfg = Config.fromfile(str(config))
    sampler = cfg.train_dataloader.sampler
    assert sampler.type == 'IdentityBalancedSampler' and 'shuffle' not in sampler
    assert cfg.train_dataloader.batch_size == sampler.num_ids_per_batch * sampler.num_instances
    assert cfg.model.head.loss_triplet.type == 'TripletLoss'


def test_triplet_config_trains_one_iteration(tiny_reid_root, tmp_path):
    """Market-1501 triplet config: one P x K = 4 x 2 iteration on tiny data, triplet > 0."""
    config = REID / 'reid-baseline_r50_triplet_1xb64-120e_market1501.py'
    cfg = Config.fromfile(str(config))
    opts = shrink_options('reid', tiny_reid_root / 'market', {}, {}, 1, 3)
    opts.update({'train_dataloader.batch_size': 8,
                 'train_dataloader.sampler.num_ids_per_batch': 4,
                 'train_dataloader.sampler.num_instances': 2})
    cfg.merge_from_dict(opts)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    assert type(runner.train_dataloader.sampler).__name__ == 'IdentityBalancedSampler'
    triplet = runner.message_hub.get_scalar('train/loss_triplet').current()
    assert triplet > 0
