# Copyright (c) mmped contributors. All rights reserved.
"""Every GDFL config builds; the synthetic CityPersons data is read by the real dataset."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmped.datasets import CityPersonsDataset
from mmped.registry import MODELS
from mmped.testing import REPO_ROOT

from .gdfl_testutils import load_synthetic_generator

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
CONFIGS = sorted(p.name for p in CONFIG_DIR.glob('*.py'))


def test_config_folder_is_complete():
    meta = (CONFIG_DIR / 'metafile.yml').read_text()
    readme = (CONFIG_DIR / 'README.md').read_text()
    for name in CONFIGS:
        assert f'configs/gdfl/{name}' in meta, name
        assert name[:-3] in readme, name
    assert len(CONFIGS) >= 24


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds(name):
    cfg = Config.fromfile(str(CONFIG_DIR / name))
    assert cfg.default_scope == 'mmped'
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    head = model.bbox_head
    levels = len(head.in_channels)
    assert head.prior_generator.num_levels == levels
    assert head.test_cfg.nms.iou_threshold == 0.45
    assert head.train_cfg.neg_pos_ratio == 3 and head.loc_weight == 2.0
    assert all(abs(r - 0.41) < 1e-6 for r in [head.prior_generator.aspect_ratio])
    if model.with_neck:
        assert len(model.neck.det_indices) == levels
    if 'citypersons' in name and 'synthetic' not in name:
        assert levels == 6 and cfg.optim_wrapper.optimizer.type == 'Adam'
    elif 'single-layer' not in name and 'synthetic' not in name:
        assert levels == 4 and cfg.optim_wrapper.optimizer.type == 'SGD'
        assert cfg.optim_wrapper.optimizer.momentum == 0.9
        assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4


def test_synthetic_citypersons_generator(tmp_path):
    gen = load_synthetic_generator()
    root = tmp_path / 'syn'
    paths = gen.make_synthetic_citypersons(str(root), 3, 4, img_size=(96, 192),
                                           height_range=(20., 80.), seed=1, verbose=False)
    pngs = sorted(Path(paths['val_img']).rglob('*_leftImg8bit.png'))
    assert len(pngs) == 4 and len(list(Path(paths['train_ann']).rglob('*.json'))) == 3
    # the real CityPersons dataset reads both the per-image jsons and the COCO-style val json
    train = CityPersonsDataset(ann_file=paths['train_ann'],
                               data_prefix=dict(img=paths['train_img'] + '/'), pipeline=[])
    val = CityPersonsDataset(ann_file=paths['val_json'],
                             data_prefix=dict(img=paths['val_img'] + '/'), pipeline=[],
                             test_mode=True)
    assert len(train) == 3 and len(val) == 4
    assert all(Path(val[i]['img_path']).is_file() for i in range(4))
    insts = [inst for i in range(4) for inst in val[i]['instances']]
    peds = [inst for inst in insts if not inst['ignore_flag']]
    assert peds
    for inst in peds:
        x1, y1, x2, y2 = inst['bbox']
        assert abs((x2 - x1) / (y2 - y1) - 0.41) < 0.05
        assert 20 - 1 <= inst['height'] <= 80 + 1 and 0 < inst['vis_ratio'] <= 1
    coco = json.loads(Path(paths['val_json']).read_text())
    assert {c['name'] for c in coco['categories']} >= {'pedestrian', 'ignore region'}
    # same seed, same data; existing data is protected
    again = gen.make_image(np.random.default_rng(5), 64, 128, (20., 50.))
    same = gen.make_image(np.random.default_rng(5), 64, 128, (20., 50.))
    assert np.array_equal(again[0], same[0]) and again[1] == same[1]
    with pytest.raises(FileExistsError):
        gen.make_synthetic_citypersons(str(root), 1, 1, img_size=(96, 192), verbose=False)
    with pytest.raises(ValueError, match='height_range'):
        gen.make_synthetic_citypersons(str(tmp_path / 'x'), 1, 1, height_range=(50., 10.))
