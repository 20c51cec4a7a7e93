# Copyright (c) mmped contributors. All rights reserved.
"""KITTI object ``label_2`` parser (2D pedestrian view), result reader and writer.

Boxes keep the corners as the files write them (the devkit reads ``x1 y1 x2 y2``; rebuilding
``x2`` as ``x1 + (x2 - x1)`` changes its last bit and flips exact-0.5 IoU comparisons).
Result files use the ``label_2`` layout with a 16th ``score`` column; the writer prints
boxes and scores with 2 decimals, as KITTI submissions do.
"""
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

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
                                 occlusion=occ, truncation=trunc, xyxy=[x1, y1, x2, y2],
                                 kitti_type=typ))
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


def load_kitti_results(path: PathLike, gt_images: Sequence[ImageRecord]
                       ) -> Dict[object, Tuple[np.ndarray, np.ndarray]]:
    """Read a folder of KITTI result files (``<id>.txt``, ``label_2`` rows plus ``score``).

    Args:
        path (str | Path): The result folder.
        gt_images (Sequence[dict]): Ground-truth records (ids matched to file stems).

    Returns:
        dict: ``img_id -> (bboxes (D, 4) xyxy as written, scores (D,))`` of ``Pedestrian``
        rows (other types are not evaluated by the pedestrian task).
    """
    root = Path(path)
    if not root.is_dir():
        raise parse_error(path, 'folder', 'results', 'expected a folder of <id>.txt files')
    ids = {str(r['img_id']): r['img_id'] for r in gt_images}
    out: Dict[object, Tuple[np.ndarray, np.ndarray]] = {}
    files = sorted(root.glob('*.txt'))
    if not files:
        raise parse_error(path, 'folder', '*.txt', 'no result file found')
    unknown = [f.stem for f in files if f.stem not in ids]
    if len(unknown) == len(files):
        raise parse_error(path, 'folder', 'ids', f'none of the {len(files)} result files '
                          f'(e.g. {unknown[:2]}) is a ground-truth image '
                          f'(e.g. {list(ids)[:2]})')
    for f in files:
        if f.stem not in ids:
            continue
        boxes, scores = [], []
        for ln, line in enumerate(read_lines(f), start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 16:
                raise parse_error(f, f'line {ln}', 'columns',
                                  f'expected 16 (label_2 + score), got {len(parts)}')
            if parts[0] != 'Pedestrian':
                continue
            vals = [to_float(f, f'line {ln}', n, v)
                    for n, v in zip(('x1', 'y1', 'x2', 'y2', 'score'), parts[4:8] + parts[15:])]
            if not all(np.isfinite(vals)) or vals[2] < vals[0] or vals[3] < vals[1]:
                raise parse_error(f, f'line {ln}', 'bbox/score',
                                  f'not finite or x2 < x1 / y2 < y1: {vals}')
            boxes.append(vals[:4])
            scores.append(vals[4])
        out[ids[f.stem]] = (np.asarray(boxes, dtype=np.float64).reshape(-1, 4),
                            np.asarray(scores, dtype=np.float64))
    return out


def format_kitti_results(bboxes: np.ndarray, scores: np.ndarray) -> str:
    """``label_2`` result rows of pedestrian detections (2 decimals, unknown 3D fields).

    Args:
        bboxes (np.ndarray): Shape (D, 4), xyxy in original-image pixels.
        scores (np.ndarray): Shape (D, ).

    Returns:
        str: One ``Pedestrian -1 -1 -10 x1 y1 x2 y2 -1 -1 -1 -1000 -1000 -1000 -10 score``
        line per detection.
    """
    rows = np.concatenate([np.asarray(bboxes, dtype=np.float64).reshape(-1, 4),
                           np.asarray(scores, dtype=np.float64).reshape(-1, 1)], axis=1)
    return ''.join('Pedestrian -1 -1 -10 %.2f %.2f %.2f %.2f -1 -1 -1 -1000 -1000 -1000 -10 '
                   '%.2f\n' % tuple(r) for r in rows.tolist())


def write_kitti_results(out_dir: PathLike, det_images: Mapping,
                        img_ids: Sequence[object]) -> List[Path]:
    """Write one ``<id>.txt`` result file per image (empty without detections).

    The folder must be absent or empty (nothing in it is ever overwritten); files are written
    atomically.

    Args:
        out_dir (str | Path): Result folder (created).
        det_images (Mapping): ``img_id -> (bboxes (D, 4) xyxy, scores (D,))``.
        img_ids (Sequence): Every test image id (6-digit strings).

    Returns:
        list[Path]: The written files.
    """
    from mmped.utils.fileio import write_bytes_atomic

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f'{out_dir}: exists and is not an empty folder; refusing to write '
                         'KITTI results into it')
    out.mkdir(parents=True, exist_ok=True)
    empty = (np.zeros((0, 4)), np.zeros(0))
    written = []
    for img_id in img_ids:
        boxes, scores = det_images.get(img_id, empty)
        written.append(write_bytes_atomic(out / f'{img_id}.txt',
                                          format_kitti_results(boxes, scores).encode()))
    return written
