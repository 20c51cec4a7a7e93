# Copyright (c) mmped contributors. All rights reserved.
"""Every GDFL config is DDP-safe (issue 17 item 6).

PyTorch's DistributedDataParallel fails on the second iteration when a trainable parameter took
no part in the loss, unless ``find_unused_parameters`` is set. Each config's model, built as
shipped (no checkpoint loading), takes one training loss on a small batch; every parameter with
``requires_grad`` must then have a gradient, or the config must declare
``find_unused_parameters=True`` (top level or in ``model_wrapper_cfg``). Which parameters take
part does not depend on the widths, so the models are built at 1/8 of VGG16's widths (channel
lists derived from the backbone) to keep the test fast.
"""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT

from .gdfl_testutils import make_samples

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
CONFIGS = sorted(p.name for p in CONFIG_DIR.glob('*.py'))
SHAPE = (64, 128)
# one pedestrian per scale range (30-89, 90-169 px would not fit: the small frame keeps the test
# fast; graph membership does not depend on positives, the losses use every prediction)
BOXES = [[[10., 4., 26., 44.], [60., 2., 84., 60.]]]


def declares_unused(cfg: Config) -> bool:
    """Whether the config asks DDP to look for unused parameters."""
    wrapper = cfg.get('model_wrapper_cfg') or {}
    return bool(cfg.get('find_unused_parameters', False)
                or wrapper.get('find_unused_parameters', False))


def narrow(model_cfg: dict) -> dict:
    """The same model at 1/8 width: backbone widths x 0.125, neck / head channels to match."""
    cfg = copy.deepcopy(model_cfg)
    cfg.backbone.widen_factor = 0.125
    channels = list(MODELS.build(cfg.backbone).out_channels)
    head_channels = channels
    if cfg.get('neck') is not None:
        cfg.neck.in_channels = channels
        for key in ('mask_channels', 'feat_channels'):
            if key in cfg.neck:
                cfg.neck[key] = 16
        det = cfg.neck.get('det_indices', (1, 2, 3, 4))
        head_channels = [channels[k] for k in det]
    cfg.bbox_head.in_channels = head_channels
    return cfg


def params_without_grad(cfg: Config):
    """Names of trainable parameters that one training loss of the config's model misses."""
    torch.manual_seed(0)
    model = MODELS.build(narrow(cfg.model))
    model.train()
    samples = make_samples(BOXES, shape=SHAPE)
    losses = model.loss(torch.randn(1, 3, *SHAPE), samples)
    total, _ = model.parse_losses(losses)
    total.backward()
    return [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]


@pytest.mark.parametrize('name', [n for n in CONFIGS if 'synthetic' not in n])
def test_loss_reaches_every_trainable_parameter(name):
    cfg = Config.fromfile(CONFIG_DIR / name)
    if declares_unused(cfg):
        return
    missing = params_without_grad(cfg)
    assert not missing, f'{name}: no gradient for {missing[:8]} ({len(missing)} in all)'


def test_demo_config_is_ddp_safe():
    from mmped.testing import REPO_ROOT as root
    cfg = Config.fromfile(Path(root) / 'configs' / 'gdfl' / [
        n for n in CONFIGS if 'synthetic' in n][0])
    assert not declares_unused(cfg)
    assert not params_without_grad(cfg)
