# Copyright (c) mmped contributors. All rights reserved.
"""KITTI object ``label_2`` parser (2D pedestrian view)."""
from pathlib import Path
from typing import List, Optional, Sequence

from .common import ImageRecord, PathLike, make_instance, parse_error, read_lines, to_float

KITTI_TYPES = ('Car', 'Van', 'Truck', 'Pedestrian', 'Person_sitting', 'Cyclist', 'Tram', 'Misc',
               'DontCare')


def parse_kitti_label(path: PathLike) -> List[dict]:
    """Parse one ``label_2/XXXXXX.txt`` file.

    Columns: ``type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry [score]``.

    Args:
        path (str | Path): The label file.

    Returns:
        list[dict]: All objects as instance dicts (``category`` = KITTI type,
        ``truncation``, ``occlusion`` (0..3), ``height`` = y2 - y1); only ``Pedestrian`` is
        non-ignored, and ``kitti_type`` keeps the type for the KITTI protocol.
    """
    out = []
    for ln, line in enumerate(read_lines(path), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (15, 16):
            raise parse_error(path, f'line {ln}', 'columns', f'expected 15, got {len(parts)}')
        typ = parts[0]
        if typ not in KITTI_TYPES:
            raise parse_error(path, f'line {ln}', 'type', f'unknown type {typ!r}')
        trunc = to_float(path, f'line {ln}', 'truncated', parts[1])
        occ = int(to_float(path, f'line {ln}', 'occluded', parts[2]))
        x1, y1, x2, y2 = (to_float(path, f'line {ln}', n, v)
                          for n, v in zip(('x1', 'y1', 'x2', 'y2'), parts[4:8]))
        if x2 < x1 or y2 < y1:
            raise parse_error(path, f'line {ln}', 'bbox', 'x2 < x1 or y2 < y1')
        out.append(make_instance([x1, y1, x2 - x1, y2 - y1], typ != 'Pedestrian', typ,
                                 occlusion=occ, truncation=trunc, kitti_type=typ))
    return out


def parse_kitti(path: PathLike, image_set: Optional[PathLike] = None,
                ids: Optional[Sequence[str]] = None) -> List[ImageRecord]:
    """Parse a KITTI ``label_2`` folder.

    Args:
        path (str | Path): ``training/label_2``.
        image_set (str | Path, optional): Split file with one 6-digit id per line
            (e.g. ``ImageSets/val.txt``).
        ids (Sequence[str], optional): Explicit ids (overrides ``image_set``).

    Returns:
        list[dict]: Image records (``img_id`` = id string, ``file_name`` = ``<id>.png``).
    """
    root = Path(path)
    if ids is None and image_set is not None:
        ids = [ln.strip() for ln in read_lines(image_set) if ln.strip()]
    if ids is None:
        ids = sorted(p.stem for p in root.glob('*.txt'))
    if not ids:
        raise parse_error(path, 'folder', '*.txt', 'no label file found')
    records = []
    for i in ids:
        f = root / f'{i}.txt'
        if not f.exists():
            raise parse_error(f, i, 'label file', 'missing')
        records.append(dict(img_id=i, file_name=f'{i}.png', width=0, height=0,
                            instances=parse_kitti_label(f)))
    return records
