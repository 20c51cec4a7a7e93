# Copyright (c) mmped contributors. All rights reserved.
"""Detection result readers shared by all miss-rate protocols."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from .common import PathLike, gc_paused, load_json, parse_error

Detections = Dict[object, Tuple[np.ndarray, np.ndarray]]


@gc_paused()
def load_coco_results(path: PathLike, category_ids: Optional[Sequence[int]] = None) -> Detections:
    """Read a COCO results json (``[{image_id, category_id, bbox: [x, y, w, h], score}]``).

    Args:
        path (str | Path): The json file (a list, or a dict with an ``annotations`` list).
        category_ids (Sequence[int], optional): Keep only these categories (default: all).

    Returns:
        dict: ``img_id -> (bboxes (D, 4) [x, y, w, h] float64, scores (D,))`` in file order.
    """
    data = load_json(path)
    if isinstance(data, dict):
        data = data.get('annotations', data.get('results'))
    if not isinstance(data, list):
        raise parse_error(path, 'top level', 'results', 'expected a list of detections')
    _check_detection_types(path, data)
    pos = np.arange(len(data))  # file position of every kept record (for messages)
    if category_ids is not None:
        keep = set(category_ids)
        pos = np.array([i for i, d in enumerate(data) if d.get('category_id', 1) in keep],
                       dtype=np.int64)
        data = [data[i] for i in pos]
    keys = [d['image_id'] for d in data]
    rows = np.array([(*d['bbox'], d['score']) for d in data], dtype=np.float64)
    rows = rows.reshape(len(data), 5)
    boxes, scores = rows[:, :4], rows[:, 4]
    finite = np.isfinite(boxes).all(1) & np.isfinite(scores)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise parse_error(path, f'detection {int(pos[bad])}', 'bbox/score',
                          f'not finite: {data[bad]["bbox"]!r}, {data[bad]["score"]!r}')
    negative = (boxes[:, 2:] < 0).any(1)
    if negative.any():
        bad = int(np.flatnonzero(negative)[0])
        raise parse_error(path, f'detection {int(pos[bad])}', 'bbox',
                          f'negative width/height in {data[bad]["bbox"]!r}')
    return group_detections(keys, boxes, scores)


def _is_number(value: object) -> bool:
    """A JSON number (bool, a subclass of int, and numeric strings are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_detection_types(path: PathLike, data: Sequence[dict]) -> None:
    """Reject records without ``image_id`` / ``bbox`` / ``score``, boxes that are not four
    numbers and scores that are strings or booleans (numpy would silently convert them)."""
    for i, d in enumerate(data):
        if not isinstance(d, dict):
            raise parse_error(path, f'detection {i}', 'record', f'expected a dict, got {d!r}')
        for field in ('image_id', 'bbox', 'score'):
            if field not in d:
                raise parse_error(path, f'detection {i}', field, 'missing')
        bbox = d['bbox']
        if not isinstance(bbox, (list, tuple)) or len(bbox) != 4 or \
                not all(_is_number(v) for v in bbox):
            raise parse_error(path, f'detection {i}', 'bbox',
                              f'expected [x, y, w, h] numbers, got {bbox!r}')
        if not _is_number(d['score']):
            raise parse_error(path, f'detection {i}', 'score',
                              f'expected a number, got {d["score"]!r}')


def group_detections(keys: Sequence, xywh: np.ndarray,
                     scores: np.ndarray) -> Dict[object, Tuple[np.ndarray, np.ndarray]]:
    """Group flat detections by image id (file order kept within each image).

    Args:
        keys (Sequence): Image id of each detection, shape (D,).
        xywh (np.ndarray): Boxes ``[x, y, w, h]``, shape (D, 4).
        scores (np.ndarray): Scores, shape (D,).

    Returns:
        dict: ``img_id -> (bboxes (d, 4) [x, y, w, h] float64, scores (d,))``; boxes stay in
        the ``xywh`` form of the result files so that the evaluation does the same float
        arithmetic as the reference scripts.
    """
    xywh = np.asarray(xywh, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    out: Dict[object, Tuple[np.ndarray, np.ndarray]] = {}
    if len(keys) == 0:
        return out
    karr = np.asarray(keys)
    if karr.ndim == 1 and karr.dtype.kind in 'iuf':  # numeric ids: vectorised grouping
        uniq, codes = np.unique(karr, return_inverse=True)
        uniq_keys = [int(k) if float(k).is_integer() else float(k) for k in uniq.tolist()]
    else:
        first: Dict[object, int] = {}
        codes = np.fromiter((first.setdefault(k, len(first)) for k in keys), dtype=np.int64,
                            count=len(keys))
        uniq_keys = list(first)
    codes = codes.reshape(-1)
    order = np.argsort(codes, kind='stable')
    bounds = np.searchsorted(codes[order], np.arange(len(uniq_keys) + 1))
    for code, key in enumerate(uniq_keys):
        sel = order[bounds[code]:bounds[code + 1]]
        out[key] = (xywh[sel], scores[sel])
    return out
