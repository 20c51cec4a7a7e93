# Copyright (c) mmped contributors. All rights reserved.
"""MOTChallenge ``gt.txt`` parser (MOT17Det / MOT15 layouts)."""
from pathlib import Path
from typing import List, Optional

import numpy as np

from .common import ImageRecord, PathLike, make_instance, parse_error, read_lines

#: MOT17 classes: 1 pedestrian; 2 person on vehicle, 7 static person, 8 distractor and
#: 12 reflection are "ambiguous" (ignored: detections on them are neither TP nor FP);
#: vehicles / occluders (3-6, 9-11) and crowds (13) are not people: dropped for training, kept
#: (``keep_all_classes=True``) for the devkit's cleaning step, which matches detections to
#: every ground-truth row of a frame.
MOT_PEDESTRIAN = 1
MOT_IGNORE_CLASSES = (2, 7, 8, 12)


def parse_mot_gt(path: PathLike, seq_name: Optional[str] = None,
                 img_dir: str = 'img1', keep_all_classes: bool = False) -> List[ImageRecord]:
    """Parse one sequence's ``gt/gt.txt``.

    Rows: ``frame, id, x, y, w, h, flag, class, visibility`` (MOT17); MOT15 rows have
    ``class = -1`` (all pedestrians) and ``visibility = -1``.

    Args:
        path (str | Path): The ``gt.txt`` file.
        seq_name (str, optional): Sequence name; default: the folder holding ``gt/`` (or
            the file's folder when it is not in ``gt/``).
        img_dir (str): Image folder inside the sequence.
        keep_all_classes (bool): Keep the rows of every class (vehicles, occluders, ...) as
            ignored instances, as the devkit's ``preprocessResult.m`` needs them. Defaults to
            False (pedestrians and ambiguous people only).

    Returns:
        list[dict]: One record per frame present in the file (sorted), ``img_id`` =
        ``<seq>/<frame:06d>``; rows with ``flag = 0`` or a class other than pedestrian get
        ``ignore_flag=1``; ``vis_ratio`` = visibility (``inf`` when -1); ``track_id``,
        ``mot_class`` and ``mot_flag`` kept.
    """
    path = Path(path)
    seq_dir = path.parent.parent if path.parent.name == 'gt' else path.parent
    seq = seq_name or seq_dir.name
    rows = []
    for ln, line in enumerate(read_lines(path), start=1):
        parts = line.replace(',', ' ').split()
        if not parts:
            continue
        if len(parts) < 7:
            raise parse_error(path, f'line {ln}', 'columns', f'expected >= 7, got {len(parts)}')
        try:
            vals = [float(v) for v in parts[:9]] + [-1.0] * (9 - len(parts[:9]))
        except ValueError:
            raise parse_error(path, f'line {ln}', 'values', f'not numeric: {line!r}') from None
        rows.append(vals)
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 9)
    by_frame = {}
    for r in arr.tolist():
        frame, tid, x, y, w, h, flag, cls, vis = r
        cls = int(cls)
        person = cls in (-1, MOT_PEDESTRIAN) or cls in MOT_IGNORE_CLASSES
        if not person and not keep_all_classes:
            continue
        ignore = flag == 0 or cls not in (-1, MOT_PEDESTRIAN)
        inst = make_instance([x, y, w, h], ignore, 'pedestrian' if not ignore else f'class{cls}',
                             vis_ratio=vis if vis >= 0 else np.inf, track_id=int(tid),
                             mot_class=cls, mot_flag=int(flag))
        by_frame.setdefault(int(frame), []).append(inst)
    frames = sorted(set(int(f) for f in arr[:, 0].tolist()))
    ini = seq_dir / 'seqinfo.ini'
    if ini.exists():  # every frame of the sequence counts, with or without GT rows
        for line in read_lines(ini):
            if line.replace(' ', '').lower().startswith('seqlength='):
                frames = list(range(1, int(line.split('=')[1]) + 1))
    return [dict(img_id=f'{seq}/{f:06d}', file_name=f'{seq}/{img_dir}/{f:06d}.jpg', width=0,
                 height=0, instances=by_frame.get(f, [])) for f in frames]


def parse_mot(path: PathLike, keep_all_classes: bool = False) -> List[ImageRecord]:
    """Parse a MOT split folder (``<seq>/gt/gt.txt`` for every sequence) or one ``gt.txt``.

    Args:
        path (str | Path): ``MOT17Det/train`` or a ``gt.txt`` file.
        keep_all_classes (bool): See :func:`parse_mot_gt`.

    Returns:
        list[dict]: Image records of all sequences (sorted by sequence, frame).
    """
    path = Path(path)
    if path.is_file():
        return parse_mot_gt(path, keep_all_classes=keep_all_classes)
    files = sorted(path.glob('*/gt/gt.txt'))
    if not files:
        raise parse_error(path, 'folder', '<seq>/gt/gt.txt', 'no sequence found')
    return [r for f in files for r in parse_mot_gt(f, keep_all_classes=keep_all_classes)]
