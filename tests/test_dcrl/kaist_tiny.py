# Copyright (c) mmped contributors. All rights reserved.
"""A tiny KAIST-format dataset (visible / lwir images, split lists, bbGt txt and MLPD json)."""
import json
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np

TRAIN_FRAMES = ('set00/V000/I00001', 'set00/V000/I00003', 'set03/V001/I00005')
TEST_FRAMES = ('set06/V000/I00019', 'set09/V000/I00039')
#: train frames without any person (negatives), in ``imageSets/train-with-empty.txt``
EMPTY_FRAMES = ('set00/V000/I00007', 'set03/V001/I00009')
#: lwir boxes of the paired annotations are the visible ones shifted by this (x, y)
PAIRED_SHIFT = (3, 1)


def _bbgt(rows) -> str:
    return '% bbGt version=3\n' + ''.join(r + '\n' for r in rows)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_tiny_kaist(root: Path, size: Tuple[int, int] = (64, 80), seed: int = 0,
                    gray_lwir: bool = True) -> Path:
    """Write the tiny dataset under ``root`` and return it.

    Layout: ``images/setXX/VYYY/{visible,lwir}/IZZZZZ.png`` (lwir stored 1-channel when
    ``gray_lwir``, else 3-channel), ``imageSets/{train,test,train-with-empty}.txt``, and the
    annotation sets in their distributed layouts (bbGt v3): ``annotations/train/
    setXX_VYYY_IZZZZZ.txt`` (flat, as the improved / sanitized sets), ``annotations/
    train-original/setXX/VYYY/IZZZZZ.txt`` (tree, as the original set; also the empty
    frames), ``annotations_paired/setXX/VYYY/{visible,lwir}/IZZZZZ.txt`` (paired: the lwir
    boxes shifted by :data:`PAIRED_SHIFT`) for train and test frames, and
    ``annotations/test.json`` (MLPD layout). Every frame but the empty ones has one bright
    pedestrian (in both modalities) and the first train frame a ``people`` ignore box.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    h, w = size
    (root / 'imageSets').mkdir(parents=True, exist_ok=True)
    (root / 'annotations' / 'train').mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    (root / 'imageSets' / 'train-with-empty.txt').write_text(
        '\n'.join(TRAIN_FRAMES + EMPTY_FRAMES) + '\n')
    for split, frames in (('train', TRAIN_FRAMES), ('test', TEST_FRAMES), ('empty', EMPTY_FRAMES)):
        if split != 'empty':
            (root / 'imageSets' / f'{split}.txt').write_text('\n'.join(frames) + '\n')
        for i, name in enumerate(frames):
            set_id, video, frame = name.split('/')
            bh = int(rng.integers(h // 2, h - 4))
            bw = max(6, int(0.41 * bh))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            vis = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
            lwir = rng.integers(0, 40, (h, w), dtype=np.uint8)
            if split != 'empty':
                vis[y:y + bh, x:x + bw] = (40, 200, 230)
                lwir[y:y + bh, x:x + bw] = 250
            for modality, img in (('visible', vis), ('lwir', lwir)):
                folder = root / 'images' / set_id / video / modality
                folder.mkdir(parents=True, exist_ok=True)
                if modality == 'lwir' and not gray_lwir:
                    img = np.repeat(img[..., None], 3, axis=2)
                cv2.imwrite(str(folder / f'{frame}.png'), img)
            rows = [] if split == 'empty' else [f'person {x} {y} {bw} {bh} 0 0 0 0 0 0 0']
            dx, dy = PAIRED_SHIFT
            lwir_rows = [] if split == 'empty' else [
                f'person {x + dx} {y + dy} {bw} {bh} 0 0 0 0 0 0 0']
            if split == 'train' and i == 0:
                rows.append('people 0 0 8 12 0 0 0 0 0 0 0')
            if split != 'empty':
                paired = root / 'annotations_paired' / set_id / video
                _write(paired / 'visible' / f'{frame}.txt', _bbgt(rows))
                _write(paired / 'lwir' / f'{frame}.txt', _bbgt(lwir_rows))
            if split in ('train', 'empty'):
                _write(root / 'annotations' / 'train-original' / set_id / video / f'{frame}.txt',
                       _bbgt(rows))
            if split == 'train':
                _write(root / 'annotations' / 'train' / f'{set_id}_{video}_{frame}.txt',
                       _bbgt(rows))
            elif split == 'test':
                images.append(dict(id=i, im_name=name, height=h, width=w))
                annotations.append(
                    dict(id=i, image_id=i, category_id=1, bbox=[x, y, bw, bh], height=bh,
                         occlusion=0, ignore=0))
    categories = [dict(id=0, name='__ignore__'), dict(id=1, name='person'),
                  dict(id=2, name='cyclist'), dict(id=3, name='people'),
                  dict(id=4, name='person?')]
    (root / 'annotations' / 'test.json').write_text(
        json.dumps(dict(images=images, annotations=annotations, categories=categories)))
    return root
