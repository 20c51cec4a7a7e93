# Copyright (c) mmped contributors. All rights reserved.
"""A validation run of each paper's tiny config writes attention overlays through
LocalVisBackend and TensorBoard (PedVisualizationHook)."""
from pathlib import Path

import cv2
import pytest
from mmengine.config import Config

from mmped.testing import REPO_ROOT

from .conftest import DCRL_TEACHER, DCRL_TEACHER_TINY, GDFL_TINY

NUM = 2  # attention overlays per val run


def _loaders(cfg: Config, **dataset) -> None:
    for key in ('val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False, batch_size=1)
        cfg[key].dataset.update(dataset)


def val_with_hook(cfg: Config, work: Path, tensorboard: bool = True) -> dict:
    """Run ``runner.val()`` with Local (+ TensorBoard) backends; return what was written."""
    from mmengine.runner import Runner

    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    backends = [dict(type='LocalVisBackend')]
    if tensorboard:
        pytest.importorskip('tensorboard')
        backends.append(dict(type='TensorboardVisBackend'))
    cfg.work_dir = str(work)
    cfg.visualizer.vis_backends = backends
    cfg.visualizer.name = f'vis_{work.parent.name}'  # a new instance per run
    cfg.default_hooks.visualization.update(num_attention_images=NUM)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.load_from = None
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None  # a validation-only runner
    cfg.env_cfg = dict(dist_cfg=dict(backend='gloo'))
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    assert type(runner.visualizer).__name__ in ('PedLocalVisualizer', 'UniversalVisualizer')
    runner.val()
    images = sorted(work.rglob('vis_image/val_attention_*.png'))
    events = sorted(work.rglob('events.out.tfevents*'))
    tags = set()
    if events:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        acc = EventAccumulator(str(events[0].parent))
        acc.Reload()
        tags = set(acc.Tags()['images'])
    return dict(images=images, tags=tags)


def _check(out: dict, tensorboard: bool = True) -> None:
    assert [p.name.rsplit('_', 1)[0] for p in out['images']] == \
        [f'val_attention_{k}' for k in range(NUM)]
    img = cv2.imread(str(out['images'][0]))
    assert img is not None and img.ndim == 3 and img.shape[1] > img.shape[0] // 4
    if tensorboard:
        assert out['tags'] == {f'val_attention_{k}' for k in range(NUM)}


@pytest.mark.parametrize('kind', ['gdfl', 'ca'])
def test_gdfl_attention(kind, tmp_path):
    from test_gdfl.gdfl_testutils import load_synthetic_generator

    root = tmp_path / 'data'
    load_synthetic_generator().make_synthetic_citypersons(
        str(root), 2, 2, img_size=(64, 128), height_range=(20., 60.), verbose=False)
    cfg = Config.fromfile(str(GDFL_TINY))
    if kind == 'ca':
        cfg.model.neck = dict(type='ChannelAdaptiveAttention', in_channels=(32, 64, 64, 64, 32),
                              feat_channels=16, zizom_layers=(0, ))
        cfg.model.bbox_head.mask_target = dict(
            type='ScaleMaskTargets', height_ranges=((30, 89), (90, 169), (170, 259),
                                                    (260, None)))
    _loaders(cfg, data_root=str(root) + '/')
    cfg.val_evaluator.ann_file = str(root / 'annotations' / 'val_gt.json')
    out = val_with_hook(cfg, tmp_path / 'work')
    _check(out)


@pytest.mark.realdata
def test_hpnet_mda_maps(real, tmp_path):
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'hpnet' /
                              'hpnet-stage3_bninception_1xb32-5e_pa100k.py'))
    cfg.model.backbone.widen_factor = 0.0625
    cfg.model.num_att_channels = 2
    _loaders(cfg, data_root=str(real / 'pa100k'), ann_file='annotation5.mat',
             data_prefix=dict(img_path='data'), indices=NUM)
    cfg.val_dataloader.dataset.pipeline[1].scale = (48, 48)
    out = val_with_hook(cfg, tmp_path / 'work')
    _check(out)


def test_dahar_masks(tmp_path):
    from test_dahar.conftest import write_wider
    from test_dahar.test_mim import SHRINK

    root = write_wider(tmp_path / 'wider', masks=True)
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'dahar' /
                              'dahar_r101_1xb32-30e_wider-attribute.py'))
    cfg.merge_from_dict({k: v for k, v in SHRINK.items() if k.startswith('model.')})
    cfg.merge_from_dict({'model.head.num_classes': 14, 'model.side_head.num_classes': 14})
    _loaders(cfg, data_root=str(root), indices=NUM)
    cfg.val_dataloader.dataset.pipeline[2].scale = (64, 64)
    out = val_with_hook(cfg, tmp_path / 'work')
    _check(out)


def test_buff_foreground(tmp_path):
    from test_person_search.conftest import make_tiny_prw, write_tiny_config

    root = make_tiny_prw(tmp_path / 'prw')
    cfg = Config.fromfile(str(write_tiny_config(tmp_path / 'buff.py', 'buff_r50_1xb4-5e_prw.py',
                                                root)))
    out = val_with_hook(cfg, tmp_path / 'work', tensorboard=False)
    _check(out, tensorboard=False)


def test_dcrl_segmentation_and_pair(tmp_path):
    from test_dcrl.kaist_tiny import make_tiny_kaist

    root = make_tiny_kaist(tmp_path / 'kaist')
    cfg = Config.fromfile(str(DCRL_TEACHER))
    cfg.merge_from_dict(DCRL_TEACHER_TINY)
    _loaders(cfg, data_root=str(root), ann_file='annotations/test.json',
             image_set='imageSets/test.txt', img_template='{set}/{video}/{modality}/{frame}.png')
    cfg.val_dataloader.dataset.pipeline[1].scale = (80, 64)
    cfg.val_evaluator.ann_file = str(root / 'annotations' / 'test.json')
    out = val_with_hook(cfg, tmp_path / 'work', tensorboard=False)
    _check(out, tensorboard=False)


def _run_test_tool(config: Path, ckpt: Path, work: Path, opts: dict, monkeypatch) -> None:
    import runpy
    import sys

    from mmped.testing import cfg_options_cli

    argv = ['test.py', str(config), str(ckpt), '--work-dir', str(work), '--show-dir', 'shown',
            *cfg_options_cli(opts)]
    monkeypatch.setattr(sys, 'argv', argv)
    runpy.run_path(str(REPO_ROOT / 'tools' / 'test.py'), run_name='__main__')


@pytest.mark.realdata
def test_show_dir_for_a_classifier_config(real, tmp_path, monkeypatch):
    """tools/test.py --show-dir on an attribute config draws through mmpretrain's visualizer
    (the detection hook it replaced cannot draw classifier samples)."""
    import torch

    from mmped.registry import MODELS

    config = REPO_ROOT / 'configs' / 'hpnet' / 'hpnet-stage3_bninception_1xb32-5e_pa100k.py'
    opts = {'model.backbone.widen_factor': 0.0625, 'model.num_att_channels': 2,
            'test_dataloader.dataset.data_root': str(real / 'pa100k'),
            'test_dataloader.dataset.ann_file': 'annotation5.mat',
            'test_dataloader.dataset.data_prefix.img_path': 'data',
            'test_dataloader.dataset.indices': 3, 'test_dataloader.num_workers': 0,
            'test_dataloader.persistent_workers': False,
            'test_dataloader.dataset.pipeline.1.scale': (48, 48),
            'default_hooks.visualization.num_attention_images': 1,
            'visualizer.name': f'vis_{tmp_path.name}', 'env_cfg.dist_cfg.backend': 'gloo'}
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({k: v for k, v in opts.items() if k.startswith('model.')})
    ckpt = tmp_path / 'hpnet.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    _run_test_tool(config, ckpt, tmp_path / 'work', opts, monkeypatch)
    shown = sorted((tmp_path / 'work').rglob('shown/*.png'))
    assert [p.name[:6] for p in shown] == ['000001', '000002', '000003']
    assert len(list((tmp_path / 'work').rglob('shown/attention/*.png'))) == 1


def test_show_dir_for_an_rgbt_detector(tmp_path, monkeypatch):
    """--show-dir on the DCRL teacher: every test pair drawn visible | thermal side by side."""
    import torch
    from mmengine.registry import DefaultScope
    from test_dcrl.kaist_tiny import make_tiny_kaist

    from mmped.registry import MODELS

    root = make_tiny_kaist(tmp_path / 'kaist')
    opts = {**DCRL_TEACHER_TINY, 'test_dataloader.dataset.data_root': str(root),
            'test_dataloader.dataset.ann_file': 'annotations/test.json',
            'test_dataloader.dataset.image_set': 'imageSets/test.txt',
            'test_dataloader.dataset.img_template': '{set}/{video}/{modality}/{frame}.png',
            'test_dataloader.dataset.pipeline.1.scale': (80, 64),
            'test_dataloader.num_workers': 0, 'test_dataloader.persistent_workers': False,
            'test_evaluator.ann_file': str(root / 'annotations' / 'test.json'),
            'visualizer.name': f'vis_{tmp_path.name}', 'env_cfg.dist_cfg.backend': 'gloo'}
    cfg = Config.fromfile(str(DCRL_TEACHER))
    cfg.merge_from_dict({k: v for k, v in opts.items() if k.startswith('model.')})
    ckpt = tmp_path / 'dcrl.pth'
    with DefaultScope.overwrite_default_scope('mmped'):
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    _run_test_tool(DCRL_TEACHER, ckpt, tmp_path / 'work', opts, monkeypatch)
    shown = sorted((tmp_path / 'work').rglob('shown/*.png'))
    assert [p.name for p in shown] == ['000001_I00019.png', '000002_I00039.png']
    assert cv2.imread(str(shown[0])).shape == (64, 160, 3)  # 64 x 80 visible | thermal
