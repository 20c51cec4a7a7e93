# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det detection AP at IoU 0.5, pure numpy.

Per frame, detections (descending score, stable) take the best still-unmatched pedestrian GT
with IoU >= 0.5 (PASCAL VOC greedy rule); detections whose best overlap is an ignored GT
(``flag = 0`` rows and the ambiguous classes person-on-vehicle, static person, distractor,
reflection) are discarded (neither TP nor FP), as the MOTChallenge detection devkit does.
AP is the area under the monotone precision / recall curve (all-point interpolation) over
all frames after one global score sort; recall and precision at the end, and the MODA-style
counts, are returned too.
"""
from typing import Dict, Mapping, Sequence

import numpy as np


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


def eval_mot17det_ap(gt_images: Sequence[Mapping], det_images: Mapping,
                     iou_thr: float = 0.5) -> Dict[str, float]:
    """MOT17Det AP.

    Args:
        gt_images (Sequence[dict]): Records of :func:`mmped.datasets.parsers.parse_mot`.
        det_images (Mapping): ``img_id -> (bboxes (D, 4) [x, y, w, h], scores (D,))``.
        iou_thr (float): Matching threshold.

    Returns:
        dict[str, float]: ``AP`` (percent), ``recall``, ``precision`` (percent, after all
        detections), ``tp``, ``fp``, ``num_gt``.
    """
    scores, tps = [], []
    num_gt = 0
    for rec in gt_images:
        insts = rec['instances']
        g = np.asarray([[i['bbox'][0], i['bbox'][1], i['bbox'][2] - i['bbox'][0],
                         i['bbox'][3] - i['bbox'][1]] for i in insts], dtype=np.float64)
        g = g.reshape(-1, 4)
        ign = np.asarray([bool(i['ignore_flag']) for i in insts], dtype=bool)
        num_gt += int((~ign).sum())
        if rec['img_id'] not in det_images:
            continue
        b, s = det_images[rec['img_id']]
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        order = np.argsort(-s, kind='stable')
        b, s = b[order], s[order]
        iou = _iou_xywh(b, g)
        taken = np.zeros(len(g), bool)
        for j in range(len(s)):
            cand = np.where(~ign & ~taken & (iou[j] >= iou_thr), iou[j], -1.0)
            if len(cand) and cand.max() >= 0:
                k = int(np.argmax(cand))
                taken[k] = True
                scores.append(s[j])
                tps.append(True)
            elif len(g) and (ign & (iou[j] >= iou_thr)).any():
                continue  # on an ignored / ambiguous person
            else:
                scores.append(s[j])
                tps.append(False)
    scores = np.asarray(scores)
    tps = np.asarray(tps, dtype=bool)
    order = np.argsort(-scores, kind='stable')
    tp = np.cumsum(tps[order])
    fp = np.cumsum(~tps[order])
    if num_gt == 0:
        return dict(AP=float('nan'), recall=float('nan'), precision=float('nan'), tp=0,
                    fp=int(fp[-1]) if len(fp) else 0, num_gt=0)
    recall = tp / num_gt
    precision = tp / np.maximum(tp + fp, 1)
    ap = average_precision_from_pr(recall, precision) if len(tp) else 0.0
    return dict(AP=ap * 100, recall=float(recall[-1] * 100) if len(tp) else 0.0,
                precision=float(precision[-1] * 100) if len(tp) else 0.0,
                tp=int(tp[-1]) if len(tp) else 0, fp=int(fp[-1]) if len(fp) else 0,
                num_gt=num_gt)
