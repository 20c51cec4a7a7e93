# Copyright (c) mmped contributors. All rights reserved.
"""A tiny NightOwls-format dataset (official COCO-style json layout, png frames)."""
import json
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np

CATEGORIES = [dict(id=1, name='pedestrian'), dict(id=2, name='bicycledriver'),
              dict(id=3, name='motorbikedriver'), dict(id=4, name='ignore')]


def make_tiny_nightowls(root: Path, size: Tuple[int, int] = (64, 80), seed: int = 0) -> Path:
    """``nightowls_{training,validation}/*.png`` and ``nightowls_{training,validation}.json``.

    Training: 4 frames, one person-less, one pedestrian per other frame (the second one
    occluded) and a bicycle driver in the first; validation: 2 frames, one pedestrian each.
    """
    rng = np.random.default_rng(seed)
    root = Path(root)
    h, w = size
    for split, num in (('training', 4), ('validation', 2)):
        folder = root / f'nightowls_{split}'
        folder.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i in range(num):
            name = f'58c5{split[0]}{i:04d}.png'
            img = rng.integers(0, 30, (h, w, 3), dtype=np.uint8)
            images.append(dict(id=1000 + i, file_name=name, width=w, height=h))
            if not (split == 'training' and i == num - 1):
                bh = int(rng.integers(h // 2, h - 4))
                bw = max(6, int(0.41 * bh))
                x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
                img[y:y + bh, x:x + bw] = 200
                annotations.append(dict(id=len(annotations), image_id=1000 + i, category_id=1,
                                        bbox=[x, y, bw, bh], occluded=i == 1, ignore=0))
            if split == 'training' and i == 0:
                annotations.append(dict(id=len(annotations), image_id=1000, category_id=2,
                                        bbox=[1, 1, 10, 20], occluded=False, ignore=0))
            cv2.imwrite(str(folder / name), img)
        (root / f'nightowls_{split}.json').write_text(json.dumps(
            dict(images=images, annotations=annotations, categories=CATEGORIES)))
    return root
