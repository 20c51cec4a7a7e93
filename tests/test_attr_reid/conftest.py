# Copyright (c) mmped contributors. All rights reserved.
"""Tiny generated datasets in the real on-disk formats of the attribute / re-ID benchmarks."""
import json
from pathlib import Path
from typing import List

import cv2
import numpy as np
import pytest
import scipy.io as sio

NUM_ATTR_PA100K = 26


def _write_images(folder: Path, names: List[str], rng: np.random.Generator, h: int = 32,
                  w: int = 16) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        cv2.imwrite(str(folder / n), rng.integers(0, 255, (h, w, 3), dtype=np.uint8))


def _cells(strings: List[str]) -> np.ndarray:
    out = np.empty((len(strings), 1), dtype=object)
    for i, s in enumerate(strings):
        out[i, 0] = np.array([s])
    return out


def make_pa100k(root: Path, num: int = 8, seed: int = 0) -> Path:
    """``annotation.mat`` (official layout) + ``data/*.jpg``: train/val/test = num each."""
    rng = np.random.default_rng(seed)
    names = [f'{i:06d}.jpg' for i in range(1, 3 * num + 1)]
    labels = rng.integers(0, 2, (3 * num, NUM_ATTR_PA100K)).astype(np.uint8)
    mat = dict(attributes=_cells([f'attr{i}' for i in range(NUM_ATTR_PA100K)]))
    for k, part in enumerate(('train', 'val', 'test')):
        mat[f'{part}_images_name'] = _cells(names[k * num:(k + 1) * num])
        mat[f'{part}_label'] = labels[k * num:(k + 1) * num]
    root.mkdir(parents=True, exist_ok=True)
    sio.savemat(str(root / 'annotation.mat'), mat)
    _write_images(root / 'data', names, rng)
    return root


def make_peta(root: Path, num: int = 20, seed: int = 0) -> Path:
    """``PETA.mat`` in the DeepMAR layout (105 labels, 35 selected, 5 partitions)."""
    rng = np.random.default_rng(seed)
    data = np.zeros((num, 109), dtype=np.uint16)
    data[:, 0] = np.arange(1, num + 1)
    data[:, 4:] = rng.integers(0, 2, (num, 105))
    parts = np.empty((5, 1), dtype=object)
    for p in range(5):
        perm = rng.permutation(num) + 1
        parts[p, 0] = np.array([[(perm[:num // 2, None].astype(np.float64),
                                  perm[num // 2:3 * num // 4, None].astype(np.float64),
                                  perm[3 * num // 4:, None].astype(np.float64))]],
                               dtype=[('train', 'O'), ('val', 'O'), ('test', 'O')])
    peta = np.array([[(data, _cells([f'peta{i}' for i in range(105)]),
                       np.arange(5, 40, dtype=np.uint8)[None], parts)]],
                    dtype=[('data', 'O'), ('attribute', 'O'), ('selected_attribute', 'O'),
                           ('partion_attribute', 'O')])
    root.mkdir(parents=True, exist_ok=True)
    sio.savemat(str(root / 'PETA.mat'), dict(peta=peta))
    _write_images(root / 'images', [f'{i:05d}.png' for i in range(1, num + 1)], rng)
    return root


def make_rap(root: Path, num: int = 12, seed: int = 0) -> Path:
    """``RAP_annotation.mat`` (92 labels in {0, 1, 2}, 51 selected, 5 partitions)."""
    rng = np.random.default_rng(seed)
    names = [f'CAM01_{i:04d}.png' for i in range(num)]
    label = rng.integers(0, 3, (num, 92)).astype(np.uint8)
    parts = np.empty((5, 1), dtype=object)
    for p in range(5):
        perm = rng.permutation(num) + 1
        parts[p, 0] = np.array([[(perm[None, :num // 2].astype(np.float64),
                                  perm[None, num // 2:].astype(np.float64))]],
                               dtype=[('train_index', 'O'), ('test_index', 'O')])
    rap = np.array([[(parts, label, _cells([f'rap{i}' for i in range(92)]), _cells(names),
                      np.arange(1, 52, dtype=np.uint8)[None])]],
                   dtype=[('partion', 'O'), ('label', 'O'), ('attribute_eng', 'O'),
                          ('imagesname', 'O'), ('selected_attribute', 'O')])
    root.mkdir(parents=True, exist_ok=True)
    sio.savemat(str(root / 'RAP_annotation.mat'), dict(RAP_annotation=rap))
    _write_images(root / 'RAP_dataset', names, rng)
    return root


def make_wider_attribute(root: Path, num_images: int = 4, seed: int = 0) -> Path:
    """``wider_attribute_{trainval,test}.json`` + ``Image/`` with two persons per image.

    Official layout: the trainval file's names start with ``train/`` (its last image with
    ``val/``), the test file's with ``test/``.
    """
    rng = np.random.default_rng(seed)
    for split in ('trainval', 'test'):
        images = []
        names = [f'{"test" if split == "test" else "train"}/{i}.jpg' for i in range(num_images)]
        if split == 'trainval':
            names[-1] = f'val/{num_images - 1}.jpg'
        for n in names:
            (root / 'Image' / n).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / 'Image' / n), rng.integers(0, 255, (64, 64, 3), np.uint8))
            targets = [dict(attribute=rng.integers(-1, 2, 14).tolist(),
                            bbox=[float(rng.integers(0, 20)), float(rng.integers(0, 20)), 16.0,
                                  32.0]) for _ in range(2)]
            images.append(dict(file_name=n, scene_id=int(rng.integers(0, 30)),
                               targets=targets))
        (root / f'wider_attribute_{split}.json').write_text(json.dumps(dict(images=images)))
    return root


def make_market1501(root: Path, num_ids: int = 4, seed: int = 0) -> Path:
    """Market-1501 folders; test ids have 2 cameras, plus one junk and one distractor."""
    rng = np.random.default_rng(seed)
    train = [f'{p:04d}_c{c}s1_{f:06d}_01.jpg' for p in range(1, num_ids + 1)
             for c, f in ((1, 100), (2, 200))]
    query = [f'{p:04d}_c1s1_{300 + p:06d}_00.jpg' for p in range(50, 50 + num_ids)]
    gallery = [f'{p:04d}_c{c}s1_{400 + p * 3 + c:06d}_01.jpg' for p in range(50, 50 + num_ids)
               for c in (1, 2)] + ['-1_c3s1_000001_00.jpg', '0000_c4s1_000002_00.jpg']
    _write_images(root / 'bounding_box_train', train, rng)
    _write_images(root / 'query', query, rng)
    _write_images(root / 'bounding_box_test', gallery, rng)
    return root


def make_cuhk03(root: Path, num_pairs_ids: int = 6, seed: int = 0) -> Path:
    """CUHK03-NP labeled config .mat + ``images_labeled/``: 2 images per view and id."""
    rng = np.random.default_rng(seed)
    names, labels, cams = [], [], []
    for pid in range(1, num_pairs_ids + 1):
        for view in (1, 2):
            for k in (1, 2):
                names.append(f'1_{pid:03d}_{view}_{(view - 1) * 5 + k:02d}.png')
                labels.append(pid)
                cams.append(view)
    labels, cams = np.array(labels), np.array(cams)
    train = np.flatnonzero(labels <= num_pairs_ids // 2) + 1
    test = np.flatnonzero(labels > num_pairs_ids // 2)
    query = test[(cams[test] == 1) & (np.arange(len(test)) % 2 == 0)] + 1
    gallery = np.setdiff1d(test + 1, query)
    mat = dict(filelist=_cells(names), labels=labels[:, None].astype(np.uint16),
               camId=cams[:, None].astype(np.uint8), train_idx=train[:, None].astype(np.uint16),
               query_idx=query[:, None].astype(np.uint16),
               gallery_idx=gallery[:, None].astype(np.uint16))
    root.mkdir(parents=True, exist_ok=True)
    sio.savemat(str(root / 'cuhk03_new_protocol_config_labeled.mat'), mat)
    _write_images(root / 'images_labeled', names, rng)
    return root


def make_viper(root: Path, num_ids: int = 8, seed: int = 0) -> Path:
    """VIPeR ``cam_a`` / ``cam_b`` with one ``<pid>_<angle>.bmp`` per id and camera."""
    rng = np.random.default_rng(seed)
    _write_images(root / 'cam_a', [f'{p:03d}_0.bmp' for p in range(num_ids)], rng)
    _write_images(root / 'cam_b', [f'{p:03d}_90.bmp' for p in range(num_ids)], rng)
    return root


@pytest.fixture
def tiny_attr_root(tmp_path: Path) -> Path:
    root = tmp_path / 'attr'
    make_pa100k(root / 'pa100k')
    make_peta(root / 'peta')
    make_rap(root / 'rap')
    make_wider_attribute(root / 'wider')
    return root


@pytest.fixture
def tiny_reid_root(tmp_path: Path) -> Path:
    root = tmp_path / 'reid'
    make_market1501(root / 'market')
    make_cuhk03(root / 'cuhk03')
    make_viper(root / 'viper')
    return root
