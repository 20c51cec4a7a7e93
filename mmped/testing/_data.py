# Copyright (c) mmped contributors. All rights reserved.
import json
import os
from pathlib import Path
from typing import Optional

import numpy as np

from ._mim import REPO_ROOT

SHARED_DATA = Path(os.environ.get('MMPED_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))
# paths asked for through :func:`shared_file` since the last :func:`reset_shared_access`
# (tests/conftest.py checks that every test reading real data is marked ``realdata``)
_ACCESSED: list = []
# the skip reason of a missing sample (tests/conftest.py fails such skips when the data is there)
MISSING_SAMPLE = 'real data sample'


def shared_file(*parts: str) -> Path:
    """Path of a real sample in ``../shared/data``; skips the calling test when it is absent.

    Tests calling it must carry the ``realdata`` marker (tests/conftest.py enforces it, and
    fails a ``realdata`` test that skips while ``../shared/data`` is present).
    """
    import pytest

    path = SHARED_DATA.joinpath(*parts)
    _ACCESSED.append(path)
    if not path.exists():
        pytest.skip(f'{MISSING_SAMPLE} {path} not found')
    return path


def realdata_violation(nodeid: str, accessed: list, marked: bool, skipped: bool, reason: str,
                       data_present: bool, allow_skip: bool = False) -> Optional[str]:
    """The rule tests/conftest.py applies to every test report (setup and call phases).

    Args:
        nodeid (str): The test.
        accessed (list): Real-data paths the test (or its fixtures) asked for.
        marked (bool): Whether the test carries ``@pytest.mark.realdata``.
        skipped (bool): Whether this phase skipped.
        reason (str): The skip reason.
        data_present (bool): Whether ``../shared/data`` exists.
        allow_skip (bool): Allow ``realdata`` skips (``MMPED_ALLOW_REALDATA_SKIP=1``).

    Returns:
        str | None: Why the test must fail, or None.
    """
    if accessed and not marked:
        return f'{nodeid} reads real data ({accessed[0]}) but is not marked @pytest.mark.realdata'
    if skipped and marked and data_present and not allow_skip:
        return (f'{nodeid} is marked realdata and skipped although {SHARED_DATA} is present: '
                f'{reason}')
    return None


def reset_shared_access() -> list:
    """Return the real-data paths asked for so far and forget them."""
    out = list(_ACCESSED)
    _ACCESSED.clear()
    return out


def make_tiny_coco(root: Path, num_images: int = 4, size: int = 64, seed: int = 0) -> Path:
    """Write a tiny COCO-format pedestrian dataset (noise images, one bright box each).

    Args:
        root (Path): Output folder; ``images/`` and ``annotations.json`` are written there.
        num_images (int): Number of images.
        size (int): Image side in pixels.
        seed (int): Random seed.

    Returns:
        Path: ``root``.
    """
    import cv2

    rng = np.random.default_rng(seed)
    root = Path(root)
    (root / 'images').mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img = rng.integers(0, 80, (size, size, 3), dtype=np.uint8)
        h = int(rng.integers(size // 3, size // 2))
        w = max(4, int(0.41 * h))
        x, y = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
        img[y:y + h, x:x + w] = 220
        name = f'{i:04d}.png'
        cv2.imwrite(str(root / 'images' / name), img)
        images.append(dict(id=i + 1, file_name=name, width=size, height=size))
        annotations.append(
            dict(id=i + 1, image_id=i + 1, category_id=1, bbox=[x, y, w, h], area=w * h,
                 iscrowd=0))
    (root / 'annotations.json').write_text(
        json.dumps(dict(images=images, annotations=annotations,
                        categories=[dict(id=1, name='pedestrian')])))
    return root
