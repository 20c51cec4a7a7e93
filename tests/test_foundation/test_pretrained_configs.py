# Copyright (c) mmped contributors. All rights reserved.
"""Every shipped config starts from the ImageNet weights its paper used, names them so that
mmengine resolves them, normalises the input as those weights expect, and its backbone takes
every weight of the published file (a synthetic file in the exact published key layout and
shapes; nothing is downloaded)."""
import copy
import json
import os.path as osp
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.testing._pretrained import (
    BN_INCEPTION_URL,
    PUBLISHED_LAYOUTS,
    write_published_checkpoint,
)
from mmped.utils.checkpoint import pretrained_url

CONFIG_DIR = Path(REPO_ROOT) / 'configs'
CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in CONFIG_DIR.rglob('*.py')
                 if '_base_' not in p.parts)

# config folder -> the weights its paper starts from (by name, as the configs write it)
FAMILY_WEIGHTS = {
    'gdfl': 'open-mmlab://vgg16_caffe',
    'dcrl': 'torchvision://vgg16',
    'hpnet': BN_INCEPTION_URL,
    'dahar': 'torchvision://resnet101',
    'par_baseline': 'torchvision://resnet50',
    'reid_baseline': 'torchvision://resnet50',
    'buff': 'torchvision://resnet50',
}
# name -> published URL, written out (a changed mapping in mmengine / torchvision shows here)
PUBLISHED_URLS = {
    'open-mmlab://vgg16_caffe':
    'https://download.openmmlab.com/pretrain/third_party/vgg16_caffe-292e1171.pth',
    'torchvision://vgg16': 'https://download.pytorch.org/models/vgg16-397923af.pth',
    'torchvision://resnet50': 'https://download.pytorch.org/models/resnet50-0676ba61.pth',
    'torchvision://resnet101': 'https://download.pytorch.org/models/resnet101-63fe2227.pth',
    BN_INCEPTION_URL: BN_INCEPTION_URL,
}
# the input each file was trained with: channel order, mean, std (0-255 pixel scale)
_IMAGENET_RGB = dict(rgb=True, mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
WEIGHTS_INPUT = {
    'open-mmlab://vgg16_caffe': dict(rgb=False, mean=[103.53, 116.28, 123.675], std=[1, 1, 1]),
    'torchvision://vgg16': _IMAGENET_RGB,
    'torchvision://resnet50': _IMAGENET_RGB,
    'torchvision://resnet101': _IMAGENET_RGB,
    BN_INCEPTION_URL: dict(rgb=False, mean=[104, 117, 128], std=[1, 1, 1]),
}
# configs that train from random backbone weights, with the card (README) that says so
FROM_SCRATCH = {'configs/gdfl/gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py'}
# backbone parameters that are not in the ImageNet file (layers the paper adds)
NEW_LAYERS = {'VGG16Det': ('extra.', 'l2_norm.'), 'TwoStreamVGG': ('cfls.', )}


@lru_cache(maxsize=None)
def load_cfg(path: str) -> Config:
    return Config.fromfile(osp.join(REPO_ROOT, path))


def family(path: str) -> str:
    return Path(path).parts[1]


def imagenet_init(model: dict) -> Optional[str]:
    """The pretrained-weights name a model config initialises its trunk from (None: random)."""
    if model.get('type', '').endswith('PersonSearchRCNN'):
        return model.get('pretrained_trunk')
    backbone = model['backbone']
    if 'pretrained' in backbone:  # TwoStreamVGG
        return backbone['pretrained']
    init = backbone.get('init_cfg')
    if isinstance(init, dict) and init.get('type') == 'Pretrained':
        return init['checkpoint']
    return None


def _run_config_of(load_from: str) -> Optional[str]:
    """The config whose work dir ``load_from`` points into (``work_dirs/<config>/...``)."""
    match = re.match(r'work_dirs/([^/]+)/', load_from)
    if not match:
        return None
    found = [c for c in CONFIGS if Path(c).stem == match.group(1)]
    return found[0] if found else None


def _hpnet_stage1_of(path: str) -> str:
    dataset = Path(path).stem.rsplit('_', 1)[-1]
    found = [c for c in CONFIGS if Path(c).stem.startswith('hpnet-stage1_')
             and Path(c).stem.endswith('_' + dataset)]
    assert len(found) == 1, (path, found)
    return found[0]


def starts_from(path: str) -> Tuple[str, str]:
    """(config, weights name) a config's training ultimately starts from.

    A config with ``load_from`` starts from the run of another config (MOT17Det from Caltech,
    HP-net stage 3 from stage 2, stage 2 from the stage-1 checkpoint converted by
    ``hpnet_stage_init.py``); follow the chain to the config that loads ImageNet weights.
    """
    cfg = load_cfg(path)
    if cfg.get('load_from'):
        assert imagenet_init(cfg.model) is None, \
            f'{path}: load_from replaces the ImageNet init, which should then be None'
        source = _run_config_of(cfg.load_from)
        if source is None and family(path) == 'hpnet':
            source = _hpnet_stage1_of(path)
        assert source is not None and source != path, f'{path}: load_from {cfg.load_from}'
        return starts_from(source)
    return path, imagenet_init(cfg.model)


@pytest.mark.parametrize('path', CONFIGS)
def test_default_config_starts_from_imagenet(path):
    """(a) + (c): the trunk init resolves to the paper's published file, or the card says the
    config trains from scratch; load_from chains end at such a config."""
    if path in FROM_SCRATCH:
        assert imagenet_init(load_cfg(path).model) is None
        card = (CONFIG_DIR / family(path) / 'README.md').read_text()
        assert Path(path).name in card and 'from scratch' in card
        return
    source, name = starts_from(path)
    expected = FAMILY_WEIGHTS[family(path)]
    assert name == expected, f'{path} (via {source}) starts from {name}, expected {expected}'
    assert pretrained_url(name) == PUBLISHED_URLS[expected]


def _preprocessor(cfg: Config) -> dict:
    return cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')


@pytest.mark.parametrize('path', [c for c in CONFIGS if c not in FROM_SCRATCH])
def test_preprocessing_matches_the_weights(path):
    """(d): channel order, mean and std of every modality are those of the weights."""
    expected = WEIGHTS_INPUT[FAMILY_WEIGHTS[family(path)]]
    pre = _preprocessor(load_cfg(path))
    rgb = pre.get('bgr_to_rgb', pre.get('to_rgb', False))
    assert rgb == expected['rgb'], path
    mean, std = list(pre['mean']), list(pre['std'])
    assert len(mean) % 3 == 0 and len(mean) == len(std)
    for m in range(len(mean) // 3):  # per modality (KAIST: visible, then thermal)
        assert mean[3 * m:3 * m + 3] == pytest.approx(expected['mean']), path
        assert std[3 * m:3 * m + 3] == pytest.approx(expected['std']), path


def test_from_scratch_list_is_the_demo_only():
    """No default config outside FROM_SCRATCH has random trunk weights and no load_from."""
    random_init = [c for c in CONFIGS
                   if imagenet_init(load_cfg(c).model) is None and not load_cfg(c).get('load_from')]
    assert random_init == sorted(FROM_SCRATCH)


def test_synthetic_layouts_cover_every_family():
    assert set(PUBLISHED_LAYOUTS) == {pretrained_url(n) for n in FAMILY_WEIGHTS.values()}


# ----------------------------------------------------------------- (b) published layouts load
@pytest.fixture(scope='module')
def weight_dirs(tmp_path_factory) -> Dict[int, str]:
    """Two folders holding every published file, with different synthetic values (seeds 1, 2)."""
    dirs = {}
    for seed in (1, 2):
        folder = str(tmp_path_factory.mktemp(f'weights{seed}'))
        for name in PUBLISHED_URLS:
            write_published_checkpoint(name, folder, seed)
        dirs[seed] = folder
    return dirs


_REPORTS: Dict[str, dict] = {}


def _init_target(cfg: Config) -> Tuple[dict, str, Tuple[str, ...], Tuple[str, ...]]:
    """(config to build, cache key, prefixes that must all load, prefixes allowed not to).

    The backbone alone for every family except BUFF, whose model loads the trunk into the
    detector backbone and the re-ID head's conv5 (``pretrained_trunk``).
    """
    model = cfg.model.to_dict()
    if model['type'].endswith('PersonSearchRCNN'):
        reid_head = model['roi_head']['reid_head']
        reid_head['loss_reid'].update(num_pids=8, queue_size=8)
        key = json.dumps([model['pretrained_trunk'], model['backbone'], reid_head],
                         sort_keys=True)
        return model, key, ('backbone.', 'roi_head.reid_head.conv5.'), ()
    backbone = model['backbone']
    # settings that change no parameter name or shape share one build (speed): strides,
    # dilations and the CFL variant (its parameters are new layers either way)
    layout = {k: v for k, v in backbone.items() if k not in ('strides', 'dilations', 'cfl')}
    layout['cfl'] = backbone.get('cfl') is not None
    return backbone, json.dumps(layout, sort_keys=True), ('', ), \
        NEW_LAYERS.get(backbone['type'], ())


def _loaded_report(target: dict, dirs: Dict[int, str], monkeypatch) -> Dict[str, bool]:
    """Build ``target`` once and initialise it from the seed-1, then from the seed-2 file: a
    parameter that differs between the two came from the file, one that does not did not."""
    init_default_scope('mmped')
    module = MODELS.build(ConfigDict(copy.deepcopy(target)))
    states = []
    for seed in (1, 2):
        monkeypatch.setenv('MMPED_CHECKPOINTS', dirs[seed])
        torch.manual_seed(0)
        for m in module.modules():  # let init_weights run again
            if hasattr(m, '_is_init'):
                m._is_init = False
        module.init_weights()
        states.append({k: v.clone() for k, v in module.state_dict().items()})
    return {k: not torch.equal(v, states[1][k]) for k, v in states[0].items()
            if not k.endswith('num_batches_tracked')}


@pytest.mark.parametrize('path', [c for c in CONFIGS if c not in FROM_SCRATCH
                                  and not load_cfg(c).get('load_from')])
def test_published_weights_load_into_the_backbone(path, weight_dirs, monkeypatch):
    """(b): a file in the exact published layout leaves no backbone weight unloaded."""
    target, key, required, allowed = _init_target(load_cfg(path))
    if family(path) in ('dahar', 'par_baseline', 'reid_baseline'):
        # inherited from mmpretrain's base, but nested dicts carry no scope: named explicitly
        assert target['type'] == 'mmpretrain.ResNet'
    if key not in _REPORTS:
        _REPORTS[key] = _loaded_report(target, weight_dirs, monkeypatch)
    loaded = _REPORTS[key]
    missing = [k for k, ok in loaded.items()
               if not ok and k.startswith(required) and not k.startswith(allowed)]
    assert not missing, f'{path}: not loaded from {FAMILY_WEIGHTS[family(path)]}: {missing}'
    assert sum(loaded.values()) >= 26  # at least the 13 conv layers of VGG16 (weight + bias)
