# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det detection AP at IoU 0.5 (MOTChallenge devkit ``evaluateDetection.m``), pure numpy.

The devkit evaluates detections with P. Dollar's toolbox after a cleaning step:

1. Cleaning (``preprocessResult.m``): per frame, detections and *all* GT rows are matched
   one-to-one (Hungarian, cost ``1 - IoU``, pairs with ``1 - IoU > 0.5`` forbidden);
   detections matched to an ambiguous GT (person on vehicle, static person, distractor,
   reflection; here also ``flag = 0`` rows, as PROTOCOLS.md asks) or to a pedestrian with
   visibility ``< min_vis`` (0.5) are removed.
2. GT = pedestrians with visibility ``>= min_vis`` (no ignore regions).
   ``bbGt('evalRes')``: per frame, detections in descending score order (stable) take the
   still-unmatched GT with the highest IoU ``>= 0.5`` (ties: the later GT).
3. ``bbGt('compRoc', ..., roc=0, ref=0:.1:1)`` over all frames after one global stable score
   sort: for each of the 11 recall points the precision at the *first* detection whose recall
   reaches it (0 when never reached; no monotone envelope), AP = their mean.

Vehicles, occluders and crowds (``parse_mot(..., keep_all_classes=True)``, which the metric
uses) take part in the cleaning assignment without removing the detection they take: a
detection assigned to a car stays (a false positive), and a car can win a detection that an
ambiguous person also overlaps. Records without ``mot_class`` treat every non-evaluated GT as
ambiguous.
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

#: MOT17 classes of people (pedestrian, MOT15's -1, and the ambiguous 2 / 7 / 8 / 12)
MOT_AMBIGUOUS = (2, 7, 8, 12)
MOT_PEOPLE = (-1, 1) + MOT_AMBIGUOUS

#: recall points of the devkit (``ref = 0:.1:1``; the official Python kit uses linspace)
MOT_RECALL_POINTS = np.linspace(0, 1, 11)


def _iou_xywh(d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """IoU matrix of ``[x, y, w, h]`` boxes, (D, 4) x (G, 4) -> (D, G)."""
    iw = np.minimum(d[:, None, 0] + d[:, None, 2], g[None, :, 0] + g[None, :, 2]) - np.maximum(
        d[:, None, 0], g[None, :, 0])
    ih = np.minimum(d[:, None, 1] + d[:, None, 3], g[None, :, 1] + g[None, :, 3]) - np.maximum(
        d[:, None, 1], g[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    union = (d[:, 2] * d[:, 3])[:, None] + (g[:, 2] * g[:, 3])[None, :] - inter
    return inter / np.maximum(union, 1e-12)


def average_precision_from_pr(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP (VOC 2010+): area under the monotone PR envelope.

    Not the MOT17Det number (see :func:`devkit_average_precision`); kept as a utility.

    Args:
        recall (np.ndarray): Non-decreasing recall, shape (K,).
        precision (np.ndarray): Precision at the same points, shape (K,).

    Returns:
        float: AP in [0, 1].
    """
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.flatnonzero(mrec[1:] != mrec[:-1])
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def devkit_average_precision(recall: np.ndarray, precision: np.ndarray,
                             refs: np.ndarray = MOT_RECALL_POINTS) -> float:
    """``bbGt('compRoc', gt, dt, 0, ref)`` AP: mean precision at the first recall >= ref.

    Args:
        recall (np.ndarray): Non-decreasing recall after each counted detection, shape (K,).
        precision (np.ndarray): Precision after each counted detection, shape (K,).
        refs (np.ndarray): Reference recall points, shape (R,).

    Returns:
        float: AP in [0, 1] (a reference recall never reached contributes 0).
    """
    idx = np.searchsorted(recall, refs, side='left')  # first index with recall >= ref
    prec = np.concatenate([precision, [0.0]])
    return float(np.mean(prec[np.minimum(idx, len(precision))]))


def _cleaning_removed(iou: np.ndarray, keep_gt: np.ndarray, td: float = 0.5,
                      removing: Optional[np.ndarray] = None) -> np.ndarray:
    """Detections removed by the devkit's cleaning step, shape (D,) bool.

    Args:
        iou (np.ndarray): IoU of detections with all GT rows, shape (D, G).
        keep_gt (np.ndarray): GT rows that are evaluated pedestrians, shape (G,).
        td (float): ``1 - IoU > td`` pairs are forbidden.
        removing (np.ndarray, optional): GT rows whose assigned detection is removed
            (ambiguous people, low-visibility pedestrians), shape (G,); default
            ``~keep_gt``. Other non-evaluated rows (vehicles) take part in the assignment only.
    """
    removing = ~keep_gt if removing is None else removing
    removed = np.zeros(iou.shape[0], bool)
    allowed = (1.0 - iou) <= td
    if not (allowed & removing[None, :]).any():
        return removed  # no ambiguous GT can take a detection
    from scipy.optimize import linear_sum_assignment

    big = float(iou.size + 1)  # maximum number of allowed pairs first, then least 1 - IoU
    cost = np.where(allowed, 1.0 - iou, big)
    rows, cols = linear_sum_assignment(cost)
    ok = allowed[rows, cols]
    rows, cols = rows[ok], cols[ok]
    removed[rows[removing[cols]]] = True
    return removed


def eval_mot17det_ap(gt_images: Sequence[Mapping], det_images: Mapping,
                     iou_thr: float = 0.5, min_vis: float = 0.5) -> Dict[str, float]:
    """MOT17Det AP (MOTChallenge devkit).

    Args:
        gt_images (Sequence[dict]): Records of :func:`mmped.datasets.parsers.parse_mot`.
        det_images (Mapping): ``img_id -> (bboxes (D, 4) [x, y, w, h], scores (D,))``.
        iou_thr (float): Matching threshold (also the cleaning threshold).
        min_vis (float): Pedestrians less visible are not evaluated (0.5; MOT20: 0.25).

    Returns:
        dict[str, float]: ``AP`` (percent, 11-point devkit AP), ``recall``, ``precision``
        (percent, after all detections), ``tp``, ``fp``, ``num_gt``.
    """
    scores, tps = [], []
    num_gt = 0
    for rec in gt_images:
        insts = rec['instances']
        g = np.asarray([[i['bbox'][0], i['bbox'][1], i['bbox'][2] - i['bbox'][0],
                         i['bbox'][3] - i['bbox'][1]] for i in insts], dtype=np.float64)
        g = g.reshape(-1, 4)
        pos = np.asarray([not i['ignore_flag'] and i.get('vis_ratio', np.inf) >= min_vis
                          for i in insts], dtype=bool)
        # a detection taken by a vehicle / occluder / crowd row is not removed
        other = np.asarray([i.get('mot_class', MOT_AMBIGUOUS[0]) not in MOT_PEOPLE
                            for i in insts], dtype=bool)
        num_gt += int(pos.sum())
        if rec['img_id'] not in det_images:
            continue
        b, s = det_images[rec['img_id']]
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        iou = _iou_xywh(b, g)
        kept = ~_cleaning_removed(iou, pos, td=iou_thr, removing=~pos & ~other)
        b, s, iou = b[kept], s[kept], iou[kept][:, pos]
        order = np.argsort(-s, kind='stable')
        s, iou = s[order], iou[order]
        taken = np.zeros(iou.shape[1], bool)
        hit = np.zeros(len(s), bool)
        for j in range(len(s)):
            cand = np.flatnonzero(~taken & (iou[j] >= iou_thr))
            if len(cand):
                best = iou[j, cand]
                k = cand[len(best) - 1 - int(np.argmax(best[::-1]))]  # ties: the later GT
                taken[k] = True
                hit[j] = True
        scores.append(s)
        tps.append(hit)
    scores = np.concatenate(scores) if scores else np.zeros(0)
    tps = np.concatenate(tps) if tps else np.zeros(0, bool)
    order = np.argsort(-scores, kind='stable')
    tp = np.cumsum(tps[order])
    fp = np.cumsum(~tps[order])
    if num_gt == 0:
        return dict(AP=float('nan'), recall=float('nan'), precision=float('nan'), tp=0,
                    fp=int(fp[-1]) if len(fp) else 0, num_gt=0)
    recall = tp / num_gt
    precision = tp / np.maximum(tp + fp, 1)
    ap = devkit_average_precision(recall, precision) if len(tp) else 0.0
    return dict(AP=ap * 100, recall=float(recall[-1] * 100) if len(tp) else 0.0,
                precision=float(precision[-1] * 100) if len(tp) else 0.0,
                tp=int(tp[-1]) if len(tp) else 0, fp=int(fp[-1]) if len(fp) else 0,
                num_gt=num_gt)
