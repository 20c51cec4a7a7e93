# Copyright (c) mmped contributors. All rights reserved.
"""Build-time checks of the person-search models and the Fig. 4 single-level runs."""
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmped.models.roi_heads.bottom_up_fusion_roi_extractor import BottomUpFusionRoIExtractor
from mmped.registry import DATASETS, MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=True)
CFG_DIR = REPO_ROOT / 'configs' / 'buff'


def _cfg(name: str) -> Config:
    return Config.fromfile(CFG_DIR / name)


def test_single_level_without_transforms_fails_at_build():
    """``levels=(3, )`` feeds 512 channels to a 1024-channel conv5: refused when built."""
    cfg = _cfg('baseline_r50_1xb4-5e_prw.py')
    cfg.model.roi_head.reid_roi_extractor.levels = (3, )
    with pytest.raises(ValueError, match=r'outputs 512-channel .* reid_head.in_channels=1024'):
        MODELS.build(cfg.model)


def test_seg_stride_must_match_seg_level():
    cfg = _cfg('buff_r50_1xb4-5e_prw.py')
    MODELS.build(cfg.model)  # conv3 has stride 8 = seg_stride
    cfg.model.seg_level = 4  # conv4: stride 16, 1024 channels
    with pytest.raises(ValueError, match='seg_stride=8 but seg_level=4 has stride 16'):
        MODELS.build(cfg.model)
    cfg.model.fg_attention.seg_stride = 16  # the stride fits, the channels do not
    with pytest.raises(ValueError, match='in_channels=512 but seg_level=4 has 1024'):
        MODELS.build(cfg.model)
    cfg.model.fg_attention.in_channels = 1024
    model = MODELS.build(cfg.model)
    assert model.level_channels_and_strides() == ([64, 256, 512, 1024], [2, 4, 8, 16])


def test_extractor_levels_must_match_backbone():
    cfg = _cfg('buff_r50_1xb4-5e_prw.py')
    cfg.model.roi_head.reid_roi_extractor.featmap_strides = (2, 4, 8, 32)
    with pytest.raises(ValueError, match=r'featmap_strides=\[2, 4, 8, 32\]'):
        MODELS.build(cfg.model)


def test_out_level_chains_transforms_without_fusion():
    buf = BottomUpFusionRoIExtractor(in_channels=(8, 32, 64, 128), levels=(2, ),
                                     out_level=4).eval()
    assert sorted(buf.transforms) == ['T3', 'T4'] and buf.out_channels == 128
    torch.manual_seed(0)
    feats = [torch.randn(1, c, 32 // s, 48 // s) for c, s in zip((8, 32, 64, 128),
                                                                  (2, 4, 8, 16))]
    rois = torch.tensor([[0, 2.0, 3.0, 20.0, 30.0]])
    f2 = buf.roi_layers[0](feats[1], rois)
    expected = buf.transforms['T4'](buf.transforms['T3'](f2))
    torch.testing.assert_close(buf(feats, rois), expected)
    with pytest.raises(ValueError, match='out_level'):
        BottomUpFusionRoIExtractor(levels=(3, 4), out_level=3)


@pytest.mark.parametrize('level', [1, 2, 3])
def test_fig4_single_level_configs(level):
    cfg = _cfg(f'buf-c{level}_r50_1xb4-5e_prw.py')
    model = MODELS.build(cfg.model)
    ex = model.roi_head.reid_roi_extractor
    assert ex.levels == (level, ) and ex.out_channels == 1024
    assert sorted(ex.transforms) == [f'T{lv}' for lv in range(level + 1, 5)]
    assert model.fg_attention is None


def test_fig4_single_level_trains(tmp_path, tiny_prw, tiny_config):
    """BUF_c1 on the tiny model: the conv1 level and every transform get gradients."""
    cfg = Config.fromfile(tiny_config(tmp_path / 'c1.py', 'buf-c1_r50_1xb4-5e_prw.py',
                                      tiny_prw, levels=(1, ), fam=False))
    cfg.model.roi_head.reid_roi_extractor.out_level = 4
    model = MODELS.build(cfg.model)
    model.init_weights()
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[i] for i in range(len(ds))]), True)
    model.train()
    model.loss(data['inputs'], data['data_samples'])  # fills the OIM memories
    losses = model.loss(data['inputs'], data['data_samples'])
    losses['loss_oim'].backward()
    ex = model.roi_head.reid_roi_extractor
    for name in ('T2', 'T3', 'T4'):
        assert ex.transforms[name].conv1.weight.grad.abs().sum() > 0
    # the conv1 RoI features are the only re-ID input: conv2 (layer1) gets no OIM gradient
    assert model.backbone.layer1[0].conv1.weight.grad is None


def test_roi_max_pooling_on_cpu():
    """``mmped.RoIPool``: Fast R-CNN max per bin (inclusive RoI end), gradient to the argmax;
    used by both extractors of the shipped configs."""
    from mmped.models.layers.roi_pool import RoIPool

    x = torch.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    out = RoIPool((2, 2), spatial_scale=1.0)(x, torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]]))
    torch.testing.assert_close(out, torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]]))
    out.sum().backward()
    assert x.grad.flatten().nonzero().flatten().tolist() == [5, 7, 13, 15]
    # stride 2: the RoI (0, 0, 5, 5) in pixels covers feature cells 0..3 (rounded, inclusive)
    half = RoIPool(2, spatial_scale=0.5)(x.detach(), torch.tensor([[0, 0.0, 0.0, 5.0, 5.0]]))
    torch.testing.assert_close(half, out.detach())
    model = MODELS.build(_cfg('baseline_r50_1xb4-5e_prw.py').model)
    for layer in (model.roi_head.bbox_roi_extractor.roi_layers[0],
                  model.roi_head.reid_roi_extractor.roi_layers[0]):
        assert isinstance(layer, RoIPool) and layer.output_size == (14, 7)
    assert model.roi_head.bbox_roi_extractor.roi_layers[0].spatial_scale == 1 / 16
    assert model.rpn_head.num_base_priors == 9
