# Copyright (c) mmped contributors. All rights reserved.
"""A tiny KAIST-format dataset (visible / lwir images, split lists, bbGt txt and MLPD json)."""
import json
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np

TRAIN_FRAMES = ('set00/V000/I00001', 'set00/V000/I00003', 'set03/V001/I00005')
TEST_FRAMES = ('set06/V000/I00019', 'set09/V000/I00039')


def make_tiny_kaist(root: Path, size: Tuple[int, int] = (64, 80), seed: int = 0,
                    gray_lwir: bool = True) -> Path:
    """Write the tiny dataset under ``root`` and return it.

    Layout: ``images/setXX/VYYY/{visible,lwir}/IZZZZZ.png`` (lwir stored 1-channel when
    ``gray_lwir``, else 3-channel), ``imageSets/{train,test}.txt``,
    ``annotations/train/setXX_VYYY_IZZZZZ.txt`` (bbGt v3) and ``annotations/test.json`` (MLPD
    layout). Every frame has one bright pedestrian (in both modalities) and, in the first
    train frame, a ``people`` ignore box.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    h, w = size
    (root / 'imageSets').mkdir(parents=True, exist_ok=True)
    (root / 'annotations' / 'train').mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for split, frames in (('train', TRAIN_FRAMES), ('test', TEST_FRAMES)):
        (root / 'imageSets' / f'{split}.txt').write_text('\n'.join(frames) + '\n')
        for i, name in enumerate(frames):
            set_id, video, frame = name.split('/')
            bh = int(rng.integers(h // 2, h - 4))
            bw = max(6, int(0.41 * bh))
            x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
            vis = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
            vis[y:y + bh, x:x + bw] = (40, 200, 230)
            lwir = rng.integers(0, 40, (h, w), dtype=np.uint8)
            lwir[y:y + bh, x:x + bw] = 250
            for modality, img in (('visible', vis), ('lwir', lwir)):
                folder = root / 'images' / set_id / video / modality
                folder.mkdir(parents=True, exist_ok=True)
                if modality == 'lwir' and not gray_lwir:
                    img = np.repeat(img[..., None], 3, axis=2)
                cv2.imwrite(str(folder / f'{frame}.png'), img)
            if split == 'train':
                rows = [f'person {x} {y} {bw} {bh} 0 0 0 0 0 0 0']
                if i == 0:
                    rows.append('people 0 0 8 12 0 0 0 0 0 0 0')
                (root / 'annotations' / 'train' / f'{set_id}_{video}_{frame}.txt').write_text(
                    '% bbGt version=3\n' + '\n'.join(rows) + '\n')
            else:
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
