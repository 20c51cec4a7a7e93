# Copyright (c) mmped contributors. All rights reserved.
"""Fixtures of the Da-HAR tests: a tiny Da-HAR config and tiny WIDER / RAP-format datasets."""
import json
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
from mmengine.registry import init_default_scope


@pytest.fixture(autouse=True)
def _mmped_scope():
    """Build mmped configs the way mmped configs do (``default_scope='mmped'``)."""
    init_default_scope('mmped')


def tiny_dahar_cfg(num_classes: int = 3, **overrides) -> dict:
    """A Da-HAR model with a ResNet-18 of widths 8..64 (stage channels 8, 16, 32, 64)."""
    cfg = dict(
        type='DAHAR',
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        backbone=dict(type='mmpretrain.ResNet', depth=18, stem_channels=8, base_channels=8),
        head=dict(type='MultiLabelAttrHead', num_classes=num_classes, in_channels=64,
                  loss=dict(type='WeightedBCELoss', mode='none')),
        side_neck=dict(type='MultiLevelFusion', out_channels=32, num_blocks=1),
        side_head=dict(type='MaskedAttentionHead', num_classes=num_classes, in_channels=32,
                       attention_channels=16, num_mask_blocks=1),
        side_loss=dict(type='WeightedBCELoss', mode='none'),
        self_mask_stages=(0, 1, 2))
    cfg.update(overrides)
    return cfg


@pytest.fixture
def tiny_cfg():
    return tiny_dahar_cfg


@pytest.fixture(name='write_wider')
def write_wider_fixture():
    return write_wider


@pytest.fixture(name='write_rap')
def write_rap_fixture():
    return write_rap


def write_wider(root: Path, num_images: int = 3, size: int = 48, seed: int = 0,
                masks: bool = False) -> Path:
    """Tiny WIDER-Attribute-format dataset: two persons per image, 14 labels in {1, -1, 0}.

    Optional per-person masks ``masks/<stem>_<x1>_<y1>_<x2>_<y2>.png`` (crop frame) are
    written for every second person.
    """
    import cv2

    rng = np.random.default_rng(seed)
    (root / 'Image').mkdir(parents=True, exist_ok=True)
    images = []
    for i in range(num_images):
        img = rng.integers(0, 255, (size, size + 16, 3), dtype=np.uint8)
        # official layout: file names start with the subset folder (last image in val/)
        subset = 'val' if i == num_images - 1 and num_images > 1 else 'train'
        name = f'{subset}/scene/{i:03d}.jpg'
        (root / 'Image' / subset / 'scene').mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(root / 'Image' / name), img)
        targets = []
        for t, (x, y, w, h) in enumerate([(2, 3, 20, 40), (30, 5, 24, 36)]):
            attr = rng.choice([1, -1, 0], size=14).tolist()
            targets.append(dict(attribute=attr, bbox=[x, y, w, h]))
            if masks and t == 1:
                (root / 'masks' / subset / 'scene').mkdir(parents=True, exist_ok=True)
                mask = np.zeros((h, w), np.uint8)
                mask[h // 4:, w // 4:3 * w // 4] = 255
                cv2.imwrite(
                    str(root / 'masks' / f'{subset}/scene/{i:03d}_{x}_{y}_{x + w}_{y + h}.png'),
                    mask)
        images.append(dict(file_name=name, scene_id=i % 2, targets=targets))
    for split in ('trainval', 'test'):
        (root / f'wider_attribute_{split}.json').write_text(json.dumps(dict(images=images)))
    return root


def write_rap(root: Path, num_images: int = 6, num_attrs: int = 5, seed: int = 0,
              sizes: Optional[tuple] = None) -> Path:
    """Tiny RAP-format dataset (RAP_annotation.mat with one partition, pedestrian crops)."""
    import cv2
    import scipy.io as sio

    rng = np.random.default_rng(seed)
    (root / 'RAP_dataset').mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(num_images):
        h, w = sizes or (64, 32)
        name = f'CAM01_{i:04d}.png'
        cv2.imwrite(str(root / 'RAP_dataset' / name),
                    rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        names.append(name)
    labels = rng.integers(0, 3, (num_images, num_attrs))
    labels[0] = 1
    labels[1] = 0
    obj = np.empty((num_images, 1), dtype=object)
    for i, n in enumerate(names):
        obj[i, 0] = np.array([n])
    attr_names = np.empty((num_attrs, 1), dtype=object)
    for j in range(num_attrs):
        attr_names[j, 0] = np.array([f'attr{j}'])
    half = num_images // 2
    partition = np.empty((1, 1), dtype=object)
    partition[0, 0] = np.array(
        [(np.arange(1, half + 1)[None], np.arange(half + 1, num_images + 1)[None])],
        dtype=[('train_index', object), ('test_index', object)])
    selected = np.arange(1, num_attrs + 1)[:, None]
    rap = np.array([(obj, labels, attr_names, partition, selected)],
                   dtype=[('imagesname', object), ('label', object),
                          ('attribute_eng', object), ('partion', object),
                          ('selected_attribute', object)])
    sio.savemat(str(root / 'RAP_annotation.mat'), dict(RAP_annotation=rap))
    return root
