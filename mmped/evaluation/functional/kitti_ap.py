# Copyright (c) mmped contributors. All rights reserved.
"""KITTI 2D pedestrian AP (easy / moderate / hard, 11- and 40-point), pure numpy.

Follows the official KITTI object devkit (``evaluate_object.cpp``) for the 2D ``bbox`` task:

- GT ``Pedestrian`` boxes are evaluated; a GT is ignored when its occlusion, truncation or
  height exceeds the difficulty (min height 40 / 25 / 25 px (``height <= min`` ignored), max
  occlusion 0 / 1 / 2, max truncation 0.15 / 0.30 / 0.50); ``Person_sitting`` (the
  neighbouring class) is ignored too; other types do not count.
- Detections lower than the difficulty's min height are ignored.
- For each score threshold, every non-ignored-or-ignored GT takes the highest-scoring
  (when collecting thresholds) / best-overlapping (when counting) still-unassigned detection
  with IoU > 0.5; detections assigned to ignored GT, or lying on ``DontCare`` regions
  (intersection / area(det) > 0.5), are neither TP nor FP.
- Thresholds: scores of the TP detections, sub-sampled to 41 recall positions; precision is
  made monotone, and AP|R11 = mean of precision at every 4th of the 41 positions, AP|R40 =
  mean of positions 1..40 (the devkit since 2019).
"""
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

KITTI_DIFFICULTIES = {
    'easy': dict(min_height=40, max_occlusion=0, max_truncation=0.15),
    'moderate': dict(min_height=25, max_occlusion=1, max_truncation=0.30),
    'hard': dict(min_height=25, max_occlusion=2, max_truncation=0.50),
}
N_SAMPLE_PTS = 41


def _iou(dets: np.ndarray, gts: np.ndarray) -> np.ndarray:
    """IoU matrix of xyxy boxes, (D, 4) x (G, 4) -> (D, G)."""
    iw = np.minimum(dets[:, None, 2], gts[None, :, 2]) - np.maximum(dets[:, None, 0],
                                                                     gts[None, :, 0])
    ih = np.minimum(dets[:, None, 3], gts[None, :, 3]) - np.maximum(dets[:, None, 1],
                                                                     gts[None, :, 1])
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    da = (dets[:, 2] - dets[:, 0]) * (dets[:, 3] - dets[:, 1])
    ga = (gts[:, 2] - gts[:, 0]) * (gts[:, 3] - gts[:, 1])
    return inter / np.maximum(da[:, None] + ga[None, :] - inter, 1e-12), inter / np.maximum(
        da[:, None], 1e-12)


class _Image:
    """Per-image arrays for one difficulty."""

    def __init__(self, record: Mapping, dets: Tuple[np.ndarray, np.ndarray], diff: dict,
                 min_overlap: float):
        insts = record['instances']
        types = [i.get('kitti_type', i.get('category', '')) for i in insts]
        boxes = np.asarray([i['bbox'] for i in insts], dtype=np.float64).reshape(-1, 4)
        gt_rows = [k for k, t in enumerate(types) if t in ('Pedestrian', 'Person_sitting')]
        dc_rows = [k for k, t in enumerate(types) if t == 'DontCare']
        ign = []
        for k in gt_rows:
            inst = insts[k]
            h = boxes[k, 3] - boxes[k, 1]
            hard = (inst.get('occlusion', 0) > diff['max_occlusion']
                    or inst.get('truncation', 0.0) > diff['max_truncation']
                    or h <= diff['min_height'])
            ign.append(1 if types[k] == 'Person_sitting' or hard else 0)
        self.gt_ignored = np.asarray(ign, dtype=np.int64)
        db, ds = dets
        db = np.asarray(db, dtype=np.float64).reshape(-1, 4)
        self.scores = np.asarray(ds, dtype=np.float64).reshape(-1)
        self.det_ignored = (db[:, 3] - db[:, 1] < diff['min_height']).astype(np.int64)
        self.overlap, _ = _iou(db, boxes[gt_rows])
        _, self.dc_ioa = _iou(db, boxes[dc_rows])
        self.min_overlap = min_overlap

    def statistics(self, thresh: float, compute_fp: bool) -> Tuple[int, int, int, List[float]]:
        """(tp, fp, fn, tp scores) at a score threshold, devkit rules."""
        n_det = len(self.scores)
        assigned = np.zeros(n_det, bool)
        below = self.scores < thresh
        tp = fp = fn = 0
        tp_scores: List[float] = []
        for i in range(len(self.gt_ignored)):
            det_idx, valid, max_ov, assigned_ign = -1, -np.inf, 0.0, False
            for j in range(n_det):
                if assigned[j] or below[j]:
                    continue
                ov = self.overlap[j, i]
                if ov <= self.min_overlap:
                    continue
                if not compute_fp:
                    if self.scores[j] > valid:
                        det_idx, valid = j, self.scores[j]
                elif (ov > max_ov or assigned_ign) and self.det_ignored[j] == 0:
                    max_ov, det_idx, valid, assigned_ign = ov, j, 1.0, False
                elif valid == -np.inf and self.det_ignored[j] == 1:
                    det_idx, valid, assigned_ign = j, 1.0, True
            if valid == -np.inf:
                if self.gt_ignored[i] == 0:
                    fn += 1
            elif self.gt_ignored[i] == 1 or self.det_ignored[det_idx] == 1:
                assigned[det_idx] = True
            else:
                tp += 1
                tp_scores.append(float(self.scores[det_idx]))
                assigned[det_idx] = True
        if compute_fp:
            free = ~assigned & (self.det_ignored == 0) & ~below
            fp = int(free.sum())
            if self.dc_ioa.shape[1]:
                on_dc = free & (self.dc_ioa > self.min_overlap).any(axis=1)
                fp -= int(on_dc.sum())
        return tp, fp, fn, tp_scores


def _thresholds(scores: Sequence[float], num_gt: int) -> List[float]:
    """Score thresholds at (about) 41 equally spaced recall positions (devkit)."""
    scores = sorted(scores, reverse=True)
    out, current = [], 0.0
    for i, s in enumerate(scores):
        left = (i + 1) / num_gt
        right = (i + 2) / num_gt if i < len(scores) - 1 else left
        if (right - current) < (current - left) and i < len(scores) - 1:
            continue
        out.append(s)
        current += 1.0 / (N_SAMPLE_PTS - 1.0)
    return out


def eval_kitti_pedestrian_ap(gt_images: Sequence[Mapping],
                             det_images: Mapping,
                             difficulties: Sequence[str] = ('easy', 'moderate', 'hard'),
                             min_overlap: float = 0.5) -> Dict[str, float]:
    """KITTI 2D pedestrian AP.

    Args:
        gt_images (Sequence[dict]): Records of :func:`mmped.datasets.parsers.parse_kitti`
            (instances with ``bbox`` xyxy, ``kitti_type``, ``occlusion``, ``truncation``).
        det_images (Mapping): ``img_id -> (bboxes (D, 4) xyxy, scores (D,))`` of pedestrian
            detections (note: xyxy, as KITTI result files).
        difficulties (Sequence[str]): Subset of ``easy``, ``moderate``, ``hard``.
        min_overlap (float): IoU threshold (0.5 for pedestrians).

    Returns:
        dict[str, float]: ``{'easy_R11': AP, 'easy_R40': AP, ...}`` in percent.
    """
    out = {}
    empty = (np.zeros((0, 4)), np.zeros(0))
    for name in difficulties:
        diff = KITTI_DIFFICULTIES[name]
        imgs = [_Image(r, det_images.get(r['img_id'], empty), diff, min_overlap)
                for r in gt_images]
        num_gt = int(sum((im.gt_ignored == 0).sum() for im in imgs))
        if num_gt == 0:
            out[f'{name}_R11'] = out[f'{name}_R40'] = float('nan')
            continue
        scores = [s for im in imgs for s in im.statistics(-np.inf, False)[3]]
        thresholds = _thresholds(scores, num_gt)
        prec = np.zeros(N_SAMPLE_PTS)
        for t, th in enumerate(thresholds):
            tp = fp = fn = 0
            for im in imgs:
                a, b, c, _ = im.statistics(th, True)
                tp, fp, fn = tp + a, fp + b, fn + c
            prec[t] = tp / (tp + fp) if tp + fp > 0 else 0.0
        for t in range(len(thresholds)):
            prec[t] = prec[t:].max()
        out[f'{name}_R11'] = float(prec[::4].sum() / 11 * 100)
        out[f'{name}_R40'] = float(prec[1:].sum() / 40 * 100)
    return out
