# Copyright (c) mmped contributors. All rights reserved.
"""Tiny GDFL / CA-GDFL models and data samples shared by the tests of this folder."""
from typing import Sequence

import torch
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmped.utils import register_all_modules

register_all_modules(init_default_scope=True)

WIDEN = 0.125
# VGG16Det(widen_factor=0.125) widths of conv3_3, conv4_3, conv5_3, conv6_2, conv7_2
TINY_CHANNELS = (32, 64, 64, 64, 32)
TRAIN_CFG = dict(
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.,
                  ignore_iof_thr=-1, gt_max_assign_all=False),
    sampler=dict(type='PseudoSampler'), smoothl1_beta=1., allowed_border=-1, pos_weight=-1,
    neg_pos_ratio=3, debug=False)
TEST_CFG = dict(nms_pre=1000, nms=dict(type='nms', iou_threshold=0.45), min_bbox_size=0,
                score_thr=0.02, max_per_img=100)
CA_RANGES = ((30, 89), (90, 169), (170, 259), (260, None))


def tiny_model_cfg(kind: str = 'gdfl', **neck_overrides) -> ConfigDict:
    """A reduced-width GDFL ('gdfl'), CA-GDFL ('ca') or SSD baseline ('ssd') config."""
    ch = list(TINY_CHANNELS)
    if kind == 'gdfl':
        neck = dict(type='GraininessAttention', in_channels=ch, mask_channels=16,
                    zizom_layers=(0, ))
        mask_target = dict(type='ScaleMaskTargets', height_thresholds=(120., ))
    elif kind == 'ca':
        neck = dict(type='ChannelAdaptiveAttention', in_channels=ch, feat_channels=16,
                    zizom_layers=(0, ))
        mask_target = dict(type='ScaleMaskTargets', height_ranges=CA_RANGES)
    else:
        neck, mask_target = None, None
    if neck is not None:
        neck.update(neck_overrides)
    backbone = dict(type='VGG16Det', widen_factor=WIDEN)
    if kind == 'ssd':
        backbone['out_layers'] = ('conv4_3', 'conv5_3', 'conv6_2', 'conv7_2')
    return ConfigDict(
        type='GDFL',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=backbone, neck=neck,
        bbox_head=dict(type='GDFLHead', in_channels=ch[1:], mask_target=mask_target),
        train_cfg=TRAIN_CFG, test_cfg=TEST_CFG)


def make_samples(boxes: Sequence[Sequence[Sequence[float]]], shape=(128, 256),
                 ignore=None) -> list:
    """One DetDataSample per image with the given xyxy pedestrian boxes."""
    samples = []
    for i, img_boxes in enumerate(boxes):
        s = DetDataSample(metainfo=dict(img_shape=shape, batch_input_shape=shape, pad_shape=shape,
                                        ori_shape=shape, scale_factor=(1., 1.), img_id=i))
        b = torch.tensor(img_boxes, dtype=torch.float32).reshape(-1, 4)
        s.gt_instances = InstanceData(bboxes=b, labels=torch.zeros(len(b), dtype=torch.long))
        ign = torch.tensor(ignore[i] if ignore else [], dtype=torch.float32).reshape(-1, 4)
        s.ignored_instances = InstanceData(bboxes=ign,
                                           labels=torch.zeros(len(ign), dtype=torch.long))
        samples.append(s)
    return samples


def load_tool(relative_path: str):
    """A script of tools/ as a module (tools/ is not a package), e.g. 'analysis/x.py'."""
    import importlib.util

    from mmped.testing import REPO_ROOT
    path = REPO_ROOT / 'tools' / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_synthetic_generator():
    """The synthetic CityPersons generator module."""
    return load_tool('misc/make_synthetic_citypersons.py')


def build_dataset_at(cfg_dataset, root):
    """Build a config's dataset on a data tree at ``root`` (no pipeline)."""
    from mmped.registry import DATASETS
    cfg_dataset = cfg_dataset.copy()
    cfg_dataset.update(data_root=str(root) + '/', pipeline=[])
    return DATASETS.build(cfg_dataset)


def build_splits(config, root, splits=('train', 'val', 'test')):
    """The config and its ``<split>_dataloader`` datasets built on the data tree at ``root``."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    return (cfg, *[build_dataset_at(cfg[f'{s}_dataloader'].dataset, root) for s in splits])


def make_tiny_caltech(root, num_images: int = 2, size=(64, 128), seed: int = 0):
    """Tiny Caltech dataset as caltech_seq_to_coco.py writes it: coco/{images/, train/test json}.

    ``num_images`` synthetic frames; ``test.json`` names them as test frames
    (``set06_V000_I...``), ``train.json`` holds each twice, as a frame of the training set set00
    and of the validation set set05 (``configs/_base_/datasets/caltech.py`` trains on set00-04
    and validates on set05), so every split of the configs finds its frames.
    """
    import json
    from pathlib import Path

    import cv2
    import numpy as np

    gen = load_synthetic_generator()
    rng = np.random.default_rng(seed)
    root = Path(root)
    coco_dir = root / 'coco'
    (coco_dir / 'images').mkdir(parents=True, exist_ok=True)
    splits = {'train': ('set00_V000', 'set05_V000'), 'test': ('set06_V000', )}
    images = {split: [] for split in splits}
    annotations = {split: [] for split in splits}
    for i in range(num_images):
        img, objects = gen.make_image(rng, size[0], size[1], (20., size[0] - 4.), max_people=2)
        for split, videos in splits.items():
            for video in videos:
                name = f'{video}_I{29 + 30 * i:05d}.jpg'
                cv2.imwrite(str(coco_dir / 'images' / name), img)
                img_id = len(images[split]) + 1
                images[split].append(dict(id=img_id, file_name=name, width=size[1],
                                          height=size[0]))
                for obj in objects:
                    ignore = int(obj['label'] != 'pedestrian')
                    annotations[split].append(dict(
                        id=len(annotations[split]) + 1, image_id=img_id, category_id=1,
                        bbox=obj['bbox'], vis_bbox=obj['bboxVis'], ignore=ignore,
                        iscrowd=ignore, height=obj['bbox'][3]))
    for split in splits:
        (coco_dir / f'{split}.json').write_text(json.dumps(dict(
            images=images[split], annotations=annotations[split],
            categories=[dict(id=1, name='person')])))
    return root
