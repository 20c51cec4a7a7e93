# Copyright (c) mmped contributors. All rights reserved.
"""WIDER-Attribute train / val / trainval selection and per-image target indices."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmped.datasets import WIDERAttributeDataset
from mmped.registry import DATASETS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

# (folder, number of persons); person 0 of the second train image is below min_size
LAYOUT = [('train', 2), ('val', 1), ('train', 3), ('val', 2), ('train', 1)]


def _write(root: Path, folders=None) -> Path:
    rng = np.random.default_rng(0)
    images = []
    for i, (folder, n) in enumerate(LAYOUT):
        folder = folders.get(folder, folder) if folders else folder
        name = f'{folder}/0--Parade/{i}.jpg'
        (root / 'Image' / folder / '0--Parade').mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'Image' / name), rng.integers(0, 255, (48, 48, 3), np.uint8))
        targets = [dict(attribute=rng.integers(-1, 2, 14).tolist(),
                        bbox=[2.0 + t, 3.0, 0.5 if (i, t) == (2, 0) else 12.0, 20.0])
                   for t in range(n)]
        images.append(dict(file_name=name, scene_id=i, targets=targets))
    (root / 'wider_attribute_trainval.json').write_text(json.dumps(dict(images=images)))
    return root


def _index(ds):
    return [(ds.get_data_info(k)['img_idx'], ds.get_data_info(k)['target_idx'])
            for k in range(len(ds))]


def test_train_val_trainval_selection_and_target_index(tmp_path):
    root = _write(tmp_path / 'wider')
    kw = dict(data_root=str(root), ann_file='wider_attribute_trainval.json')
    train = WIDERAttributeDataset(split='train', **kw)
    val = WIDERAttributeDataset(split='val', **kw)
    trainval = WIDERAttributeDataset(split='trainval', **kw)
    # image 2 keeps persons 1 and 2 (person 0 is 0.5 px wide): target_idx is the index in
    # the image's targets, not a running count
    assert _index(train) == [(0, 0), (0, 1), (2, 1), (2, 2), (4, 0)]
    assert _index(val) == [(1, 0), (3, 0), (3, 1)]
    assert sorted(_index(trainval)) == sorted(_index(train) + _index(val))
    assert all('/train/' in train.get_data_info(k)['img_path'] for k in range(len(train)))
    assert train.get_data_info(2)['bbox'][0] == 3.0  # person 1 of image 2: x = 2 + 1
    ann = json.loads((root / 'wider_attribute_trainval.json').read_text())
    info = val.get_data_info(2)
    np.testing.assert_array_equal(info['gt_valid'],
                                  np.array(ann['images'][3]['targets'][1]['attribute']) != 0)


def test_custom_subset_dirs_and_errors(tmp_path):
    root = _write(tmp_path / 'wider', folders=dict(train='tr', val='va'))
    kw = dict(data_root=str(root), ann_file='wider_attribute_trainval.json')
    with pytest.raises(ValueError, match=r"split='train' keeps .* starts with 'train'/, but none"):
        WIDERAttributeDataset(split='train', **kw)
    ds = WIDERAttributeDataset(split='val', subset_dirs=dict(val='va'), **kw)
    assert _index(ds) == [(1, 0), (3, 0), (3, 1)]
    with pytest.raises(ValueError, match='split must be one of'):
        WIDERAttributeDataset(split='minival', **kw)


def test_base_config_packs_target_index(tmp_path):
    register_all_modules()
    root = _write(tmp_path / 'wider')
    cfg = Config.fromfile(str(REPO_ROOT / 'configs/_base_/datasets/wider_attribute.py'))
    ds_cfg = cfg.train_dataloader.dataset
    assert ds_cfg.split == 'train'  # trains on train, selects on the official val images
    ds_cfg.update(data_root=str(root), split='train',
                  pipeline=[p for p in cfg.test_pipeline if 'Resize' not in p['type']])
    ds = DATASETS.build(ds_cfg)
    sample = ds[2]['data_samples']
    assert (sample.img_idx, sample.target_idx) == (2, 1)
    assert sample.img_shape == (20, 12)
