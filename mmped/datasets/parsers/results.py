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
    if category_ids is not None:
        keep = set(category_ids)
        data = [d for d in data if d.get('category_id', 1) in keep]
    try:
        keys = [d['image_id'] for d in data]
        rows = np.array([(*d['bbox'], d['score']) for d in data], dtype=np.float64)
        rows = rows.reshape(len(data), 5)
        boxes, scores = rows[:, :4], rows[:, 4]
    except (KeyError, TypeError, ValueError):
        for i, d in enumerate(data):
            for field in ('image_id', 'bbox', 'score'):
                if not isinstance(d, dict) or field not in d:
                    raise parse_error(path, f'detection {i}', field, 'missing') from None
            bbox = d['bbox']
            if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
                raise parse_error(path, f'detection {i}', 'bbox',
                                  f'expected [x, y, w, h], got {bbox!r}') from None
            try:
                float(d['score'])
                [float(v) for v in bbox]
            except (TypeError, ValueError):
                raise parse_error(path, f'detection {i}', 'bbox/score',
                                  'not a number') from None
        raise
    if not np.isfinite(boxes).all() or not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~(np.isfinite(boxes).all(1) & np.isfinite(scores)))[0])
        raise parse_error(path, f'detection {bad}', 'bbox/score', 'not finite')
    return group_detections(keys, boxes, scores)


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
