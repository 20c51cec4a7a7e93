# Copyright (c) mmped contributors. All rights reserved.
"""HP-net configs, the stage-wise `mim train` / `mim test` chain, the attention visualiser."""
import importlib.util
import json
import pickle
import uuid
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import DumpResults
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from test_attr_reid.conftest import make_market1501

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim, shared_file
from mmped.utils import register_all_modules

CONFIGS = sorted((REPO_ROOT / 'configs' / 'hpnet').glob('*.py'))
# a 1/16-width BN-Inception takes no ImageNet weights: init_cfg=None
TINY = {'model.backbone.widen_factor': 0.0625, 'model.num_att_channels': 2,
        'model.backbone.init_cfg': None}


def _load_tool(rel: str):
    path = REPO_ROOT / rel
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_config_builds_its_stage():
    register_all_modules(init_default_scope=False)
    assert len(CONFIGS) == 29
    ablations = {
        'naive': [(0, (0, )), (1, (1, )), (2, (2, ))],
        'nomiddle': [(0, (0, 2)), (2, (0, 2))],
        'prune1': [(1, (0, 1, 2)), (2, (0, 1, 2))],
        'prune2': [(2, (0, 1, 2))],
    }
    built = set()
    for path in CONFIGS:
        cfg = Config.fromfile(str(path))
        cfg.merge_from_dict(TINY)
        stage_tag = path.name.split('_')[0].split('-')[1:]  # e.g. ['stage2', 'naive']
        reid = any(k in path.name for k in ('market1501', 'cuhk03', 'viper', 'jstl'))
        expected = ablations[stage_tag[1]] if len(stage_tag) > 1 else [(i, (0, 1, 2))
                                                                       for i in range(3)]
        assert cfg.model.stage == int(stage_tag[0][-1]), path.name
        assert [(b['att_level'], tuple(b['target_levels'])) for b in cfg.model.branches] == \
            expected, path.name
        assert cfg.model.head.type == ('HPNetReIDHead' if reid else 'MultiLabelAttrHead')
        assert (cfg.load_from is None) == (cfg.model.stage == 1), path.name
        if reid:
            assert cfg.val_evaluator.metric == 'cosine'
        # build one model per distinct (task, stage, branches) combination
        kind = (reid, cfg.model.stage, str(expected))
        if kind in built and len(stage_tag) == 1 and 'pa100k' not in path.name:
            continue
        built.add(kind)
        with DefaultScope.overwrite_default_scope('mmped'):
            model = MODELS.build(cfg.model)
        assert model.stage == cfg.model.stage
        assert [(b.att_level, b.target_levels) for b in model.af_net] == expected
        assert type(model.head).__name__ == cfg.model.head.type



def _pa100k_options(root: Path) -> dict:
    opts = dict(TINY)
    opts.update({
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.logger.interval': 1,
        'visualizer.name': f'vis_{uuid.uuid4().hex}',
    })
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({
            f'{key}.dataset.data_root': f'{root}/',
            f'{key}.dataset.ann_file': 'annotation5.mat',
            f'{key}.dataset.indices': 4,
            f'{key}.batch_size': 2,
            f'{key}.num_workers': 0,
            f'{key}.persistent_workers': False,
            f'{key}.dataset.pipeline.1.scale': (64, 64),
            f'{key}.dataset.pipeline.2.crop_size': 56,
        })
    return opts


@pytest.mark.slow
@pytest.mark.realdata
def test_stagewise_mim_train_test_on_real_pa100k(tmp_path):
    """Stage 1 -> converter -> stage 2 -> stage 3 (`mim train`), then `mim test` stage 3."""
    root = shared_file('pa100k', 'annotation5.mat').parent
    cfg_dir = REPO_ROOT / 'configs' / 'hpnet'
    stages = [cfg_dir / 'hpnet-stage1_bninception_1xb32-30e_pa100k.py',
              cfg_dir / 'hpnet-stage2_bninception_1xb32-10e_pa100k.py',
              cfg_dir / 'hpnet-stage3_bninception_1xb32-5e_pa100k.py']
    opts = _pa100k_options(root)
    work = [tmp_path / f'stage{i}' for i in (1, 2, 3)]
    run_mim(['train', 'mmped', stages[0], '--work-dir', work[0], *cfg_options_cli(opts)])
    init = tmp_path / 'stage2_init.pth'
    cfg2 = Config.fromfile(str(stages[1]))
    cfg2.merge_from_dict(opts)
    _load_tool('tools/model_converters/hpnet_stage_init.py').convert(
        cfg2, str(work[0] / 'epoch_1.pth'), str(init))
    run_mim(['train', 'mmped', stages[1], '--work-dir', work[1],
             *cfg_options_cli({**opts, 'load_from': str(init)})])
    run_mim(['train', 'mmped', stages[2], '--work-dir', work[2],
             *cfg_options_cli({**opts, 'load_from': str(work[1] / 'epoch_1.pth')})])
    run_mim(['test', 'mmped', stages[2], '--checkpoint', work[2] / 'epoch_1.pth',
             '--work-dir', work[2], *cfg_options_cli(opts)])

    ckpts = [torch.load(w / 'epoch_1.pth', map_location='cpu', weights_only=False)['state_dict']
             for w in work]
    # stage 2 kept the stage-1 M-net; stage 3 kept M-net and AF-net, and trained the head
    for key, value in ckpts[0].items():
        if key.startswith('backbone.'):
            assert torch.equal(value, ckpts[1][key]) and torch.equal(value, ckpts[2][key])
    for key, value in ckpts[1].items():
        if key.startswith('af_net.'):
            assert torch.equal(value, ckpts[2][key]), key
    assert not torch.equal(ckpts[1]['head.fc.weight'], ckpts[2]['head.fc.weight'])
    # the AF-net was fine-tuned in stage 2 from the M-net copy
    post = 'af_net.0.post_blocks.1.0.branch1x1.conv.weight'
    assert not torch.equal(ckpts[1][post], ckpts[0]['backbone.blocks.1.0.branch1x1.conv.weight'])
    logs = [json.loads(line) for p in work[2].glob('*/*.json') for line in
            p.read_text().splitlines() if line.strip()]
    assert any('attr/mA' in entry for entry in logs)


@pytest.mark.slow
def test_reid_stage3_in_process_with_cosine_metric(tmp_path):
    """Market-1501 layout generated by the attribute / re-ID area's test helper."""
    root = make_market1501(tmp_path / 'market')
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/hpnet/hpnet-stage3_bninception_1xb32-10e_market1501.py'))
    opts = dict(TINY)
    opts.update({'model.head.num_classes': 4, 'load_from': None, 'train_cfg.max_epochs': 1,
                 'visualizer.name': f'vis_{uuid.uuid4().hex}'})
    for key in ('train_dataloader', 'val_dataloader'):
        opts.update({f'{key}.dataset.data_root': f'{root}/', f'{key}.batch_size': 4,
                     f'{key}.num_workers': 0, f'{key}.persistent_workers': False,
                     f'{key}.dataset.pipeline.1.scale': (64, 64),
                     f'{key}.dataset.pipeline.2.crop_size': 56})
    cfg.merge_from_dict(opts)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    dump = tmp_path / 'features.pkl'
    runner.test_evaluator.metrics.append(DumpResults(out_file_path=str(dump)))
    metrics = runner.test()
    with open(dump, 'rb') as f:
        samples = pickle.load(f)
    assert metrics['reid/R1'] == pytest.approx(_market_rank1_loop(samples), abs=1e-9)


def _market_rank1_loop(samples) -> float:
    """Rank-1 (%) of the Market-1501 rule, one query at a time, on the dumped features.

    Cosine distance (``1 - cos``, a zero feature at distance 1), gallery sorted stably; the
    junk id -1 and the query's own id in the query's camera are removed; a query without a
    true match left does not count.
    """
    feats = np.stack([np.asarray(s['pred_feature'], dtype=np.float64) for s in samples])
    feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)  # zero stays zero
    pid = np.array([int(s['pid']) for s in samples])
    cam = np.array([int(s['camid']) for s in samples])
    split = np.array([s['split'] for s in samples])
    gallery = np.flatnonzero(split == 'gallery')
    hits, valid = 0, 0
    for q in np.flatnonzero(split == 'query'):
        ranked = gallery[np.argsort(1.0 - feats[gallery] @ feats[q], kind='stable')]
        ranked = [g for g in ranked if pid[g] != -1 and not (pid[g] == pid[q] and cam[g] == cam[q])]
        if any(pid[g] == pid[q] for g in ranked):
            valid += 1
            hits += int(pid[ranked[0]] == pid[q])
    assert valid == 4  # every query id has a gallery image in the other camera
    return 100.0 * hits / valid


@pytest.mark.realdata
def test_vis_tool_writes_image_for_real_crop(tmp_path):
    crop = shared_file('market1501', 'query', '0001_c1s1_001051_00.jpg')
    tool = _load_tool('tools/analysis/vis_hpnet_attention.py')
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs/hpnet/hpnet-stage3_bninception_1xb32-10e_market1501.py'))
    cfg.merge_from_dict({'model.backbone.widen_factor': 0.0625})
    with pytest.warns(UserWarning, match='random weights'):
        image, maps, ori_hw = tool.compute_attention(cfg, str(crop), branches=[0, -1])
    # the authors' test input: resize to 256 x 256, centre 224 crop (strides 16 and 32)
    assert image.shape == (224, 224, 3) and ori_hw == (128, 64)
    assert [(lvl, m.shape) for lvl, m in maps] == [(0, (8, 14, 14)), (2, (8, 7, 7))]
    assert all((m >= 0).all() for _, m in maps)  # ReLU attention
    out = tmp_path / 'att.png'
    tool.draw(image, maps, str(out), ori_hw)
    drawn = cv2.imread(str(out))
    assert drawn is not None and drawn.shape[0] > 100 and drawn.std() > 10
