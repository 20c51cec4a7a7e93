# Copyright (c) mmped contributors. All rights reserved.
"""tools/analysis/vis_gdfl_attention.py: the overlays and maps are the model's attention
(issue 17 remainder, item 5: Figs. 1, 4 and 9)."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules
from mmped.visualization import overlay_heatmaps

from .gdfl_testutils import load_tool

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
TINY = {
    'model.backbone.widen_factor': 0.125, 'model.backbone.init_cfg': None,
    'model.neck.in_channels': [32, 64, 64, 64, 32], 'model.bbox_head.in_channels': [64, 64, 64, 32]
}
CA_CONFIG = 'ca-gdfl_vgg16_4xb8-12e_caltech.py'
NECK = {'gdfl': {'model.neck.mask_channels': 16}, 'ca': {'model.neck.feat_channels': 16}}


def _tool():
    return load_tool('analysis/vis_gdfl_attention.py')


def _tiny(config, kind, tmp_path, **extra):
    """The config shrunk to 1/8 width and a checkpoint of a seeded random init of it."""
    cfg = Config.fromfile(CONFIG_DIR / config)
    cfg.merge_from_dict({**TINY, **NECK[kind], **extra})
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return cfg, model, str(ckpt)


@torch.no_grad()
def _reference(cfg, model, image):
    """Network input (RGB) and the neck's maps, computed here without the tool."""
    steps = [t for t in cfg.test_dataloader.dataset.pipeline if t.type != 'LoadAnnotations']
    data = Compose(steps)(dict(img_path=str(image), img_id='x', sample_idx=0))
    inputs = model.data_preprocessor(pseudo_collate([data]), False)['inputs']
    feats = model.backbone(inputs)
    layers = [m[0, 0].numpy() for m in model.neck.attention_maps(feats)]
    probs = model.neck.attention_logits(feats).softmax(1)[0].numpy() \
        if hasattr(model.neck, 'attention_logits') else None
    rgb = np.ascontiguousarray(data['inputs'].permute(1, 2, 0).numpy()[..., ::-1])
    return rgb, layers, probs


def _png_rgb(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]


@pytest.mark.realdata
def test_gdfl_maps_on_the_real_caltech_frame(tmp_path, shared_data):
    frame = shared_data / 'caltech' / 'set06_V002_I00089.png'
    cfg, model, ckpt = _tiny('gdfl_vgg16_4xb8-12e_caltech.py', 'gdfl', tmp_path)
    tool = _tool()
    out = tmp_path / 'vis'
    written = tool.visualise(cfg, str(frame), str(out), ckpt, alpha=0.5)
    layers = ['conv4_3', 'conv5_3', 'conv6_2', 'conv7_2']
    assert sorted(p.name for p in written) == sorted(
        [f'set06_V002_I00089_{n}.png' for n in layers + ['class1', 'class2']]
        + ['set06_V002_I00089_attention.npz'])
    rgb, ref_layers, probs = _reference(cfg, model, frame)
    # the 640 x 480 frame is the network input as it is (Resize to 640 x 480)
    assert np.array_equal(rgb, cv2.imread(str(frame))[..., ::-1])
    saved = np.load(out / 'set06_V002_I00089_attention.npz')
    assert [saved[n].shape for n in layers] == [(60, 80), (30, 40), (15, 20), (8, 10)]
    for name, ref in zip(layers, ref_layers):
        np.testing.assert_allclose(saved[name], ref, rtol=0, atol=1e-6)
    # GDFL's layers carry the small (conv4_3, conv5_3) and the large map (conv6_2, conv7_2):
    # conv4_3's map is the image-size small-pedestrian map averaged over 8 x 8 cells
    np.testing.assert_allclose(saved['class1'], probs[1], atol=1e-6)
    np.testing.assert_allclose(saved['class2'], probs[2], atol=1e-6)
    np.testing.assert_allclose(saved['conv4_3'], probs[1].reshape(60, 8, 80, 8).mean((1, 3)),
                               atol=1e-5)
    assert saved['conv4_3'].std() > 1e-3  # not a constant map
    # each PNG is the map resized to the input and blended over it, exactly
    for name in layers + ['class1', 'class2']:
        expected = overlay_heatmaps(rgb, saved[name], 0.5, already_prob=True)[0]
        assert np.array_equal(_png_rgb(out / f'set06_V002_I00089_{name}.png'), expected), name
    # a second run never overwrites
    with pytest.raises(FileExistsError, match='7 of 7 output files exist'):
        tool.visualise(cfg, str(frame), str(out), ckpt)


def test_ca_gdfl_maps_on_a_folder_of_synthetic_images(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / 'images'
    folder.mkdir()
    for name in ('b.png', 'a.jpg'):
        img = rng.integers(0, 255, (40, 70, 3), dtype=np.uint8)
        img[10:30, 20:30] = 255  # a bright block
        cv2.imwrite(str(folder / name), img)
    (folder / 'notes.txt').write_text('not an image')
    cfg, model, ckpt = _tiny(CA_CONFIG, 'ca', tmp_path, **{
        'test_dataloader.dataset.pipeline.1.scale': (128, 64)})
    out = tmp_path / 'vis'
    written = _tool().visualise(cfg, str(folder), str(out), ckpt, alpha=0.7)
    assert sorted(p.name for p in written) == sorted(
        [f'{s}_{n}.png' for s in 'ab' for n in ('conv4_3', 'conv5_3', 'conv6_2', 'conv7_2')]
        + ['a_attention.npz', 'b_attention.npz'])
    for stem, file in (('a', 'a.jpg'), ('b', 'b.png')):
        rgb, ref_layers, _ = _reference(cfg, model, folder / file)
        assert rgb.shape == (64, 128, 3)
        saved = np.load(out / f'{stem}_attention.npz')
        for name, ref in zip(['conv4_3', 'conv5_3', 'conv6_2', 'conv7_2'], ref_layers):
            np.testing.assert_allclose(saved[name], ref, atol=1e-6)
            assert saved[name].min() >= 0 and saved[name].max() <= 1
            drawn = _png_rgb(out / f'{stem}_{name}.png')
            assert np.array_equal(drawn, overlay_heatmaps(rgb, ref, 0.7, already_prob=True)[0])
    # the CA-GDFL map of a layer is the channel mean of its sigmoid attention
    assert saved['conv4_3'].shape == (8, 16)


def test_refusals(tmp_path):
    folder = tmp_path / 'images'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a.png'), np.zeros((32, 32, 3), np.uint8))
    tool = _tool()
    cfg = Config.fromfile(CONFIG_DIR / 'gdfl_vgg16_4xb8-12e_caltech.py')
    with pytest.raises(ValueError, match='inside it'):
        tool.visualise(cfg, str(folder), str(folder / 'vis'))
    with pytest.raises(ValueError, match='inside it'):
        tool.visualise(cfg, str(folder), str(folder))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='holds no image'):
        tool.visualise(cfg, str(tmp_path / 'empty'), str(tmp_path / 'out'))
    cv2.imwrite(str(folder / 'a.jpg'), np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match=r"share the names \['a'\]"):
        tool.visualise(cfg, str(folder), str(tmp_path / 'out'))
    ssd = Config.fromfile(CONFIG_DIR / 'ssd_vgg16_4xb8-12e_caltech.py')
    ssd.merge_from_dict({'model.backbone.init_cfg': None})
    register_all_modules(init_default_scope=True)
    with pytest.raises(ValueError, match='no GDFL / CA-GDFL attention neck'):
        tool.build_model(ssd, None, 'cpu')
