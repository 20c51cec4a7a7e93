# Copyright (c) mmped contributors. All rights reserved.
import subprocess
import sys
import textwrap

import mmdet.registry as mmdet_registry
import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import DefaultScope

import mmped.registry as mmped_registry
from mmped.utils import register_all_modules


@pytest.mark.parametrize('name', mmped_registry.__all__)
def test_every_registry_is_a_child_of_mmdet(name):
    ours, theirs = getattr(mmped_registry, name), getattr(mmdet_registry, name)
    assert ours.scope == 'mmped'
    assert ours.parent is theirs
    assert theirs._children['mmped'] is ours
    assert ours._locations[0].startswith('mmped.')
    assert ours._locations[1].startswith('mmdet.')


def test_every_mmdet_registry_has_an_mmped_child():
    from mmengine.registry import Registry
    mmdet_names = {
        k for k, v in vars(mmdet_registry).items()
        if isinstance(v, Registry) and v.scope == 'mmdet'
    }
    assert mmdet_names == set(mmped_registry.__all__)


def test_unprefixed_mmdet_type_builds_under_mmped_scope():
    register_all_modules(init_default_scope=False)
    cfg = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py').model
    cfg.pop('_scope_', None)
    cfg.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmped'):
        model = mmped_registry.MODELS.build(cfg)
    assert type(model).__name__ == 'FasterRCNN'


def test_register_all_modules_sets_default_scope():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmped'
    layer = mmped_registry.MODELS.build(dict(type='L2Norm', num_channels=4))
    assert layer.weight.shape == (4, )


def test_prefixed_mmped_type_builds_from_plain_mmdet_without_custom_imports():
    # a fresh interpreter that only knows mmdet: mmped must be imported by the registry itself
    code = textwrap.dedent("""
        import sys
        from mmdet.registry import MODELS
        from mmdet.utils import register_all_modules
        register_all_modules()
        assert 'mmped' not in sys.modules
        layer = MODELS.build(dict(type='mmped.L2Norm', num_channels=8, scale=20.0))
        assert type(layer).__module__.startswith('mmped.'), type(layer).__module__
        print('built', type(layer).__name__, float(layer.weight[0]))
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'built L2Norm 20.0' in out.stdout


def test_mmdet_base_config_can_carry_mmped_components(tmp_path):
    # `_base_ = 'mmdet::...'` stamps _scope_='mmdet' on the model: an mmped type inside it
    # must be prefixed (or the model re-scoped), and then it builds.
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(textwrap.dedent("""
        _base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
        model = dict(
            backbone=dict(init_cfg=None),
            neck=dict(_delete_=True, type='mmped.L2Norm', num_channels=256, scale=5.0))
    """))
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.model._scope_ == 'mmdet'
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope('mmdet'):
        neck = mmdet_registry.MODELS.build(cfg.model.neck)
    assert type(neck).__module__.startswith('mmped.')
    x = torch.randn(1, 256, 3, 3)
    assert torch.allclose(neck(x).norm(dim=1), torch.full((1, 3, 3), 5.0), atol=1e-4)
