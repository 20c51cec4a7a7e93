# Copyright (c) mmped contributors. All rights reserved.
"""Tiny person-search data in the PRW / CUHK-SYSU on-disk formats (generated, not real)."""
import json
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat


def make_tiny_prw(root: Path, num_frames: int = 4, size=(96, 64), seed: int = 0) -> Path:
    """Write frames, COCO-style ``train.json`` / ``test.json`` with ``person_id`` (-2 for
    unlabelled, as in the public conversion), raw ``frame_*.mat`` + ``annotations/*.jpg.mat``
    and a ``query_info.txt``; two people per frame, identities 7 and 9 recurring."""
    import cv2

    rng = np.random.default_rng(seed)
    width, height = size
    (root / 'frames').mkdir(parents=True, exist_ok=True)
    (root / 'annotations').mkdir(exist_ok=True)
    images, anns, names = [], [], []
    for i in range(num_frames):
        name = f'c{1 + i % 2}s1_{i:06d}'
        img = rng.integers(0, 60, (height, width, 3), dtype=np.uint8)
        rows = []
        for k, pid in enumerate((7, 9 if i % 2 else -2)):
            x, y, w, h = 8 + 40 * k + i, 10, 16, 40
            img[y:y + h, x:x + w] = (200, 60 + 100 * k, 40) if pid == 7 else (40, 200, 80)
            rows.append([pid, x, y, w, h])
            anns.append(dict(id=len(anns), image_id=i, bbox=[x, y, w, h], category_id=1,
                             area=w * h, iscrowd=0, person_id=pid))
        cv2.imwrite(str(root / 'frames' / f'{name}.jpg'), img)
        savemat(str(root / 'annotations' / f'{name}.jpg.mat'),
                {'box_new': np.array(rows, dtype=np.float64)})
        images.append(dict(id=i, file_name=f'{name}.jpg', width=width, height=height))
        names.append(name)
    coco = dict(images=images, annotations=anns, categories=[dict(id=1, name='person')])
    for split in ('train', 'test'):
        (root / f'{split}.json').write_text(json.dumps(coco))
        savemat(str(root / f'frame_{split}.mat'),
                {f'img_index_{split}': np.array(names, dtype=object).reshape(-1, 1)})
    # one query: identity 7 in the first frame
    x, y, w, h = anns[0]['bbox']
    (root / 'query_info.txt').write_text(f'7 {x} {y} {w} {h} {names[0]}\n')
    return root


def _struct(rows, fields):
    arr = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
    for i, row in enumerate(rows):
        for f in fields:
            arr[0, i][f] = row[f]
    return arr


def make_tiny_cuhk(root: Path) -> Path:
    """Raw CUHK-SYSU files: 3 train + 3 test images, ``Person.mat``, ``pool.mat``, TestG2."""
    ann = root / 'annotation'
    (ann / 'test' / 'train_test').mkdir(parents=True, exist_ok=True)
    boxes = {f's{i}.jpg': [[10 + i, 5, 20, 50], [50, 8, 18, 44]] for i in range(1, 7)}
    imgs = [dict(imname=n, nAppear=np.array([[2.0]]),
                 box=_struct([dict(idlocate=np.array([b], dtype=np.float64),
                                   ishard=np.array([[0]])) for b in bs], ['idlocate', 'ishard']))
            for n, bs in boxes.items()]
    savemat(str(ann / 'Images.mat'), {'Img': _struct(imgs, ['imname', 'nAppear', 'box'])})
    test = ['s4.jpg', 's5.jpg', 's6.jpg']
    savemat(str(ann / 'pool.mat'), {'pool': np.array(test, dtype=object).reshape(-1, 1)})

    def scene(names):
        return _struct([dict(imname=n, idlocate=np.array([boxes[n][0]], dtype=np.float64),
                             ishard=np.array([[0]])) for n in names],
                       ['imname', 'idlocate', 'ishard'])
    persons = [dict(idname='p00001', nAppear=np.array([[2.0]]), scene=scene(['s1.jpg', 's2.jpg'])),
               dict(idname='p00002', nAppear=np.array([[3.0]]), scene=scene(test))]
    savemat(str(ann / 'Person.mat'), {'Person': _struct(persons, ['idname', 'nAppear', 'scene'])})
    query = _struct([dict(imname='s4.jpg', idlocate=np.array([boxes['s4.jpg'][0]], float),
                          ishard=np.array([[0]]), idname='p00002')],
                    ['imname', 'idlocate', 'ishard', 'idname'])
    gallery = _struct([dict(imname='s5.jpg', idlocate=np.array([boxes['s5.jpg'][0]], float),
                            ishard=np.array([[0]])),
                       dict(imname='s6.jpg', idlocate=np.zeros((0, 0)), ishard=np.zeros((0, 0)))],
                      ['imname', 'idlocate', 'ishard'])
    item = np.zeros((1, 1), dtype=[('Query', 'O'), ('Gallery', 'O')])
    item[0, 0]['Query'] = query
    item[0, 0]['Gallery'] = gallery
    savemat(str(ann / 'test' / 'train_test' / 'TestG2.mat'), {'TestG2': item})
    return root


@pytest.fixture
def tiny_prw(tmp_path: Path) -> Path:
    return make_tiny_prw(tmp_path / 'prw')


@pytest.fixture
def tiny_cuhk(tmp_path: Path) -> Path:
    return make_tiny_cuhk(tmp_path / 'cuhk')


def write_tiny_config(path: Path, base: str, data_root: Path, levels=(1, 2, 3, 4),
                      fam: bool = True) -> Path:
    """A config inheriting ``configs/buff/<base>`` shrunk to a 8-channel ResNet on tiny data."""
    from mmped.testing import REPO_ROOT

    fg = ("dict(type='ForegroundAttention', in_channels=64, seg_stride=8)" if fam else 'None')
    text = f"""
_base_ = '{REPO_ROOT / 'configs' / 'buff' / base}'
data_root = '{data_root}/'
model = dict(
    pretrained_trunk=None,  # an 8-channel trunk takes no ImageNet weights
    backbone=dict(base_channels=8, norm_cfg=dict(type='BN', requires_grad=True)),
    fg_attention={fg},
    fam_levels={tuple(levels)},
    rpn_head=dict(in_channels=128, feat_channels=16,
                  anchor_generator=dict(scales=[1, 2, 4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=128),
        bbox_head=dict(in_channels=128, conv_out_channels=8, fc_out_channels=16),
        reid_roi_extractor=dict(in_channels=(8, 32, 64, 128), levels={tuple(levels)}),
        reid_head=dict(in_channels=128, planes=16,
                       loss_reid=dict(num_features=64, num_pids=2, queue_size=4))),
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
train_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='LoadPersonSearchAnnotations'),
    dict(type='Resize', scale=(96, 64), keep_ratio=True), dict(type='RandomFlip', prob=0.5),
    dict(type='PackPersonSearchInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'), dict(type='Resize', scale=(192, 128), keep_ratio=True),
    dict(type='LoadPersonSearchAnnotations'), dict(type='PackPersonSearchInputs')]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, ann_file='train.json',
                                     pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, ann_file='test.json',
                                   query_file='query_info.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), visualization=dict(draw=False))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
"""
    path.write_text(text)
    return path


@pytest.fixture
def tiny_config():
    """The :func:`write_tiny_config` helper."""
    return write_tiny_config
