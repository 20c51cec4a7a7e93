# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det detection AP at IoU 0.5 (MOTChallenge devkit ``evaluateDetection.m``), pure numpy.

The devkit evaluates detections with P. Dollar's toolbox after a cleaning step:

1. Cleaning (``preprocessResult.m``): per frame, detections and *all* GT rows are matched
   one-to-one by the devkit's ``Hungarian.m`` (:func:`devkit_hungarian`, its tie order and
   its padding included) on the (GT x detection) cost ``1 - IoU`` (``boxiou.m``), pairs with
   ``1 - IoU > 0.5`` forbidden; detections matched to an ambiguous GT (person on vehicle,
   static person, distractor, reflection; here also ``flag = 0`` rows, as PROTOCOLS.md asks)
   or to any row with visibility ``< min_vis`` (0.5) are removed.
2. GT = pedestrians with visibility ``>= min_vis`` (no ignore regions).
   ``bbGt('evalRes')``: per frame, detections in descending score order (stable) take the
   still-unmatched GT with the highest IoU ``>= 0.5`` (ties: the later GT).
3. ``bbGt('compRoc', ..., roc=0, ref=0:.1:1)`` over all frames after one global stable score
   sort: for each of the 11 recall points the precision at the *first* detection whose recall
   reaches it (0 when never reached; no monotone envelope), AP = their mean.

Vehicles, occluders and crowds (``parse_mot(..., keep_all_classes=True)``, which the metric
uses) take part in the cleaning assignment without removing the detection they take unless
they are less visible than ``min_vis``: a detection assigned to a visible car stays (a false
positive), and a car can win a detection that an ambiguous person also overlaps. The cost
matrix keeps the rows in gt.txt order and the detections in their given (file) order.
Records without ``mot_class`` treat every non-evaluated GT as ambiguous.
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


def _devkit_iou(g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """IoU as the devkit's ``boxiou.m`` computes it, (G, 4) x (D, 4) -> (G, D).

    Both inputs are corners ``[left, top, right, bottom]`` (the devkit's ``x + w`` and
    ``y + h``); the areas are rebuilt from them (``(right - left) * (bottom - top)``, which
    can differ from ``w * h`` in the last bit).
    """
    hor = np.maximum(0.0, np.minimum(g[:, None, 2], d[None, :, 2])
                     - np.maximum(g[:, None, 0], d[None, :, 0]))
    ver = np.maximum(0.0, np.minimum(g[:, None, 3], d[None, :, 3])
                     - np.maximum(g[:, None, 1], d[None, :, 1]))
    inter = hor * ver
    union = ((g[:, 2] - g[:, 0]) * (g[:, 3] - g[:, 1]))[:, None] \
        + ((d[:, 2] - d[:, 0]) * (d[:, 3] - d[:, 1]))[None, :] - inter
    return np.where(inter > 0, inter / np.where(inter > 0, union, 1.0), 0.0)


def _star_zeros(p: np.ndarray) -> np.ndarray:
    """Star, row by row, the first zero of each row whose column holds no star yet.

    Args:
        p (np.ndarray): Square cost matrix, shape (n, n).

    Returns:
        np.ndarray: Marks, shape (n, n), int8 (1 = starred).
    """
    marks = np.zeros(p.shape, np.int8)
    free = np.ones(p.shape[1], bool)
    for i in range(p.shape[0]):
        cand = np.flatnonzero((p[i] == 0) & free)
        if len(cand):
            marks[i, cand[0]] = 1
            free[cand[0]] = False
    return marks


def _prime_zeros(p: np.ndarray, marks: np.ndarray, row_cov: np.ndarray,
                 col_cov: np.ndarray) -> Optional[tuple]:
    """Prime uncovered zeros until one has no star in its row (Munkres' step 4).

    The first uncovered zero in row-major order is primed; when its row holds a star, the
    row is covered and the star's column uncovered. ``marks`` and the covers are updated in
    place.

    Returns:
        tuple | None: ``(row, col)`` of a primed zero without a star in its row, or None
        when no uncovered zero is left.
    """
    n = p.shape[1]
    while True:
        free = (p == 0) & ~row_cov[:, None] & ~col_cov[None, :]
        if not free.any():
            return None
        r, c = divmod(int(np.argmax(free)), n)
        marks[r, c] = 2
        star = np.flatnonzero(marks[r] == 1)
        if not len(star):
            return r, c
        row_cov[r] = True
        col_cov[star[0]] = False


def devkit_hungarian(cost: np.ndarray) -> np.ndarray:
    """Assignment of the MOTChallenge devkit's ``Hungarian.m`` (A. Melin's Munkres), ties included.

    ``preprocessResult.m`` calls it on the (GT x detection) matrix ``1 - IoU`` with forbidden
    pairs set to ``Inf``. Its rules, reproduced here:

    - rows and columns without a finite entry are dropped; the rest is zero-padded to a
      square of side ``n``; the deficiency ``c`` of that square's finite pattern is estimated
      by one pass of steps 2-4 on the 0 / ``Inf`` pattern (``n`` minus the lines covered);
      the matrix is then grown to ``n + c`` with every added entry equal to the largest
      finite entry (``Pmax``). Being left unmatched thus costs ``Pmax`` per added line, so
      the result is a minimum-cost assignment on that matrix, which is not always one with
      the most pairs (a pair of cost 0 can beat two pairs of cost ``Pmax``);
    - Munkres' steps in the textbook order, scanning row-major: step 1 subtracts each
      row's minimum; step 2 stars, row by row, the first zero whose column has no star;
      step 4 primes the first uncovered zero in row-major order; step 6 adds the smallest
      uncovered value to covered rows, then subtracts it from uncovered columns.

    Among equal-cost assignments the first zeros in row-major order win: a detection
    earlier in the file (a lower column) goes to the earlier GT row, where scipy's
    ``linear_sum_assignment`` (shortest augmenting paths, max cardinality first) can choose
    differently.

    Args:
        cost (np.ndarray): Costs, shape (M, N); ``inf`` = no edge.

    Returns:
        np.ndarray: Matching, shape (M, N), bool (at most one True per row and column, never
        on an ``inf`` entry).
    """
    cost = np.asarray(cost, dtype=np.float64)
    if np.isnan(cost).any() or (cost == -np.inf).any():
        raise ValueError('devkit_hungarian: costs must be finite or +inf')
    match = np.zeros(cost.shape, bool)
    finite = np.isfinite(cost)
    rows, cols = np.flatnonzero(finite.any(1)), np.flatnonzero(finite.any(0))
    if not len(rows):
        return match
    n = max(len(rows), len(cols))
    sub = cost[np.ix_(rows, cols)]
    pattern = np.zeros((n, n))
    pattern[:len(rows), :len(cols)] = np.where(np.isfinite(sub), 0.0, np.inf)
    marks = _star_zeros(pattern)
    row_cov, col_cov = np.zeros(n, bool), marks.any(0)
    _prime_zeros(pattern, marks, row_cov, col_cov)
    size = n + n - int(row_cov.sum()) - int(col_cov.sum())
    pmax = sub[np.isfinite(sub)].max()
    if len(rows) < n or len(cols) < n:
        pmax = max(pmax, 0.0)  # the zero padding counts in the devkit's maximum
    p = np.full((size, size), pmax)
    p[:len(rows), :len(cols)] = sub
    p = p - p.min(1, keepdims=True)
    marks = _star_zeros(p)
    while True:
        col_cov = marks.any(0)
        if col_cov.all():
            break
        row_cov = np.zeros(size, bool)
        while (z := _prime_zeros(p, marks, row_cov, col_cov)) is None:
            low = p[np.ix_(~row_cov, ~col_cov)].min()
            if not np.isfinite(low):
                raise ValueError('devkit_hungarian: no complete assignment exists')
            p[row_cov] += low
            p[:, ~col_cov] -= low
        r, c = z  # alternate primes and stars from the last prime, then swap them
        path = [(r, c)]
        while len(star := np.flatnonzero(marks[:, c] == 1)):
            r = int(star[0])
            path.append((r, c))
            c = int(np.flatnonzero(marks[r] == 2)[0])
            path.append((r, c))
        for r, c in path:
            marks[r, c] = 0 if marks[r, c] == 1 else 1
        marks[marks == 2] = 0
    match[np.ix_(rows, cols)] = marks[:len(rows), :len(cols)] == 1
    return match


def _cleaning_removed(iou: np.ndarray, keep_gt: np.ndarray, td: float = 0.5,
                      removing: Optional[np.ndarray] = None) -> np.ndarray:
    """Detections removed by the devkit's cleaning step, shape (D,) bool.

    The assignment is :func:`devkit_hungarian` on the (GT x detection) matrix ``1 - IoU``,
    pairs with ``1 - IoU > td`` forbidden, rows in gt.txt order and columns in the
    detections' order, so that ties go where the devkit sends them.

    Args:
        iou (np.ndarray): IoU of detections with all GT rows, shape (D, G).
        keep_gt (np.ndarray): GT rows that are evaluated pedestrians, shape (G,).
        td (float): ``1 - IoU > td`` pairs are forbidden.
        removing (np.ndarray, optional): GT rows whose assigned detection is removed
            (ambiguous people, rows below the visibility threshold), shape (G,); default
            ``~keep_gt``. Other rows (visible vehicles) take part in the assignment only.
    """
    removing = ~keep_gt if removing is None else removing
    removed = np.zeros(iou.shape[0], bool)
    cost = 1.0 - iou.T
    cost[cost > td] = np.inf
    if not np.isfinite(cost[removing]).any():
        return removed  # no removing GT row can take a detection
    match = devkit_hungarian(cost)
    removed[match[removing].any(0)] = True
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
        # a detection taken by a visible vehicle / occluder / crowd row is not removed; one
        # taken by any row below ``min_vis`` is (``preprocessResult.m`` tests every class)
        other = np.asarray([i.get('mot_class', MOT_AMBIGUOUS[0]) not in MOT_PEOPLE
                            for i in insts], dtype=bool)
        low_vis = np.asarray([i.get('vis_ratio', np.inf) < min_vis for i in insts], dtype=bool)
        num_gt += int(pos.sum())
        if rec['img_id'] not in det_images:
            continue
        b, s = det_images[rec['img_id']]
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        # the devkit's cleaning IoU, from the GT corners as parsed (``x + w`` of gt.txt) and
        # the detections' ``x + w``
        corners = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)
        gt_corners = np.asarray([i['bbox'] for i in insts], dtype=np.float64).reshape(-1, 4)
        kept = ~_cleaning_removed(_devkit_iou(gt_corners, corners).T, pos, td=iou_thr,
                                  removing=~pos & (~other | low_vis))
        b, s, iou = b[kept], s[kept], _iou_xywh(b[kept], g)[:, pos]
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
