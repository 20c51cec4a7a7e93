# Copyright (c) mmped contributors. All rights reserved.
"""Person-search evaluation (CUHK-SYSU / PRW protocol), pure numpy.

Protocol (the official CUHK-SYSU / PRW evaluation code of OIM, used by every later work):

* Gallery detections are kept when their score is ``>= det_thresh`` (0.5).
* For a query (feature ``q``, identity ``p``) and each gallery image that contains ``p``, the
  detections of that image are ranked by cosine similarity to ``q`` and only the **first** one
  whose IoU with the target box reaches ``min(0.5, w * h / ((w + 10) * (h + 10)))`` (relaxed for
  small targets of size ``w x h``) is a positive; all other detections are negatives.
* Over the merged ranking of all gallery detections,
  ``AP = average_precision(y_true, y_score) * found / num_target_images``: a target the detector
  missed lowers the AP (recall scaling). Top-k is 1 when a positive lies in the first k.
* mAP and top-k are means over queries.

Inputs are plain dicts of numpy arrays so the same code serves the mmengine metric, offline
result files and hand-worked tests.
"""
from typing import Dict, List, Sequence

import numpy as np

# float32 elements of one block of query-to-detection similarities (128 MB)
_SIM_BLOCK_ELEMENTS = 1 << 25


def average_precision(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """Area under the step precision-recall curve (the definition of scikit-learn).

    ``AP = sum_n (R_n - R_{n-1}) P_n`` over distinct score thresholds (tied scores form one
    threshold).

    Args:
        y_true (np.ndarray): Shape (K, ), binary labels.
        y_score (np.ndarray): Shape (K, ), scores (higher = more confident).

    Returns:
        float: The AP; 0.0 when there is no positive.
    """
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_score = np.asarray(y_score, dtype=np.float64).reshape(-1)
    if y_true.shape != y_score.shape:
        raise ValueError(f'y_true {y_true.shape} and y_score {y_score.shape} differ in shape')
    if y_true.sum() <= 0:
        return 0.0
    order = np.argsort(-y_score, kind='stable')
    y_true, y_score = y_true[order], y_score[order]
    tps = np.cumsum(y_true)
    fps = np.cumsum(1.0 - y_true)
    # last index of every distinct score
    last = np.r_[np.nonzero(np.diff(y_score))[0], y_true.size - 1]
    tps, fps = tps[last], fps[last]
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def relaxed_iou_threshold(widths: np.ndarray, heights: np.ndarray,
                          base: float = 0.5) -> np.ndarray:
    """IoU threshold of the person-search protocol: ``min(base, wh / ((w + 10)(h + 10)))``.

    Args:
        widths (np.ndarray): Target box widths, shape (T, ).
        heights (np.ndarray): Target box heights, shape (T, ).
        base (float): Upper bound. Defaults to 0.5.

    Returns:
        np.ndarray: Shape (T, ).
    """
    widths = np.asarray(widths, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    return np.minimum(base, widths * heights / ((widths + 10.0) * (heights + 10.0)))


def _pairwise_iou_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of row i of ``a`` with row i of ``b`` (both (K, 4) xyxy)."""
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-12)


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4) -> (N, M)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None] - inter, 1e-12)


class _Gallery:
    """Flattened gallery: detections sorted by image (CSR offsets) and a target lookup."""

    def __init__(self, gallery: Sequence[dict], det_thresh: float) -> None:
        self.img_ids = [g['img_id'] for g in gallery]
        self.index = {img_id: i for i, img_id in enumerate(self.img_ids)}
        if len(self.index) != len(self.img_ids):
            raise ValueError('duplicate img_id in the gallery results')
        self.cams = np.array([g.get('cam_id', -1) for g in gallery])
        boxes, feats, counts = [], [], []
        gt_img, gt_pid, gt_box = [], [], []
        dim = None
        for i, g in enumerate(gallery):
            keep = np.asarray(g['scores'], dtype=np.float64).reshape(-1) >= det_thresh
            b = np.asarray(g['bboxes'], dtype=np.float64).reshape(-1, 4)[keep]
            f = np.asarray(g['feats'], dtype=np.float32)
            f = f.reshape(f.shape[0], -1)[keep] if f.size else f.reshape(0, dim or 0)
            if f.shape[0]:
                dim = f.shape[1]
            boxes.append(b)
            feats.append(f)
            counts.append(b.shape[0])
            pids = np.asarray(g['gt_person_ids']).reshape(-1)
            gt_img.append(np.full(pids.shape, i))
            gt_pid.append(pids)
            gt_box.append(np.asarray(g['gt_bboxes'], dtype=np.float64).reshape(-1, 4))
        dim = dim or 1
        self.boxes = np.concatenate(boxes) if boxes else np.zeros((0, 4))
        self.feats = np.concatenate([f.reshape(-1, dim) for f in feats]) if feats else \
            np.zeros((0, dim), dtype=np.float32)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.offsets = np.r_[0, np.cumsum(self.counts)]
        gt_img, gt_pid = np.concatenate(gt_img), np.concatenate(gt_pid)
        gt_box = np.concatenate(gt_box)
        labelled = gt_pid >= 0
        self.gt_img, self.gt_pid, self.gt_box = gt_img[labelled], gt_pid[labelled], \
            gt_box[labelled]

    def det_indices(self, images: np.ndarray) -> np.ndarray:
        """Indices of all detections of ``images`` (vectorised CSR gather)."""
        lengths = self.counts[images]
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        starts = np.repeat(self.offsets[images] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        return starts + np.arange(total)


def eval_person_search(gallery: Sequence[dict],
                       queries: Sequence[dict],
                       det_thresh: float = 0.5,
                       topk: Sequence[int] = (1, 5, 10),
                       cross_camera: bool = False,
                       iou_base: float = 0.5) -> Dict[str, object]:
    """Search every query in its gallery and compute mAP and top-k.

    Args:
        gallery (Sequence[dict]): One dict per test image with ``img_id`` (hashable),
            ``bboxes`` (N, 4) xyxy detections, ``scores`` (N, ), ``feats`` (N, D) L2-normalised
            re-ID features, ``gt_bboxes`` (M, 4), ``gt_person_ids`` (M, ) (negative = unlabelled)
            and optionally ``cam_id``.
        queries (Sequence[dict]): One dict per query with ``img_id`` (the query's own image,
            never part of its gallery), ``bbox`` (4, ), ``person_id``, ``feat`` (D, ), optional
            ``gallery`` (list of ``img_id``: the protocol gallery, e.g. CUHK-SYSU TestG100;
            ``None`` = every other image), optional ``gallery_bboxes`` (aligned with
            ``gallery``: the protocol's target box per gallery image or ``None``; without it the
            targets are the ground-truth boxes of ``person_id``) and optional ``cam_id``. A
            protocol gallery is used as given (CUHK-SYSU TestG100 lists the query's own image in
            the gallery of 2 queries); without one the query's image is left out.
        det_thresh (float): Minimum detection score. Defaults to 0.5.
        topk (Sequence[int]): Ranks of the CMC. Defaults to (1, 5, 10).
        cross_camera (bool): Only search images of other cameras (PRW variant; needs
            ``cam_id``). Defaults to False.
        iou_base (float): Upper bound of the relaxed IoU threshold. Defaults to 0.5.

    Returns:
        dict: ``mAP``, ``top{k}`` (fractions in [0, 1]), ``ap`` (Q, ), ``topk_hits`` (Q, len(topk)),
        ``recall`` (Q, ) = found / number of gallery images containing the target.
    """
    gal = _Gallery(gallery, det_thresh)
    num_images = len(gal.img_ids)
    topk = [int(k) for k in topk]
    aps = np.zeros(len(queries))
    hits = np.zeros((len(queries), len(topk)))
    recalls = np.zeros(len(queries))
    # similarities of a chunk of queries to every kept detection in one matrix product (a
    # per-query gather of the detection features would copy them once per query)
    num_dets = gal.feats.shape[0]
    chunk = max(1, _SIM_BLOCK_ELEMENTS // max(1, num_dets))
    block = np.zeros((0, num_dets), dtype=np.float32)
    for qi, query in enumerate(queries):
        if qi % chunk == 0:
            q_feats = np.stack([np.asarray(q['feat'], dtype=np.float32).reshape(-1)
                                for q in queries[qi:qi + chunk]])
            block = q_feats @ gal.feats.T if num_dets else \
                np.zeros((len(q_feats), 0), dtype=np.float32)
        q_img = gal.index.get(query['img_id'], -1)
        if query.get('gallery') is not None:
            try:
                images = np.array([gal.index[name] for name in query['gallery']],
                                  dtype=np.int64)
            except KeyError as err:
                raise KeyError(f'query {qi} ({query["img_id"]}): gallery image {err} has no '
                               'result') from None
            images = np.unique(images)
        else:
            mask = np.ones(num_images, dtype=bool)
            if q_img >= 0:
                mask[q_img] = False
            if cross_camera:
                mask &= gal.cams != query.get('cam_id', -1)
            images = np.nonzero(mask)[0]
        pid = query['person_id']

        # gallery images containing the target (one target box per image)
        if query.get('gallery_bboxes') is not None:
            pairs = [(gal.index[n], b) for n, b in zip(query['gallery'], query['gallery_bboxes'])
                     if b is not None]
            t_imgs, first = np.unique(np.array([p[0] for p in pairs], dtype=np.int64),
                                      return_index=True)
            t_boxes = np.array([pairs[i][1] for i in first], dtype=np.float64).reshape(-1, 4)
        else:
            in_gal = np.zeros(num_images, dtype=bool)
            in_gal[images] = True
            t_sel = np.nonzero((gal.gt_pid == pid) & in_gal[gal.gt_img])[0]
            t_imgs, first = np.unique(gal.gt_img[t_sel], return_index=True)
            t_boxes = gal.gt_box[t_sel[first]]
        num_targets = t_imgs.size

        det = gal.det_indices(images)
        sims = block[qi % chunk][det].astype(np.float64)
        y_true = np.zeros(det.size)
        if det.size and num_targets:
            slot = np.full(num_images, -1, dtype=np.int64)
            slot[t_imgs] = np.arange(num_targets)
            d_img = np.repeat(images, gal.counts[images])
            d_slot = slot[d_img]
            has = d_slot >= 0
            cand = np.zeros(det.size, dtype=bool)
            if has.any():
                tb = t_boxes[d_slot[has]]
                iou = _pairwise_iou_rows(gal.boxes[det[has]], tb)
                thr = relaxed_iou_threshold(tb[:, 2] - tb[:, 0], tb[:, 3] - tb[:, 1], iou_base)
                cand[np.nonzero(has)[0][iou >= thr]] = True
            c_idx = np.nonzero(cand)[0]
            if c_idx.size:
                # first match only: per image, the most similar candidate
                order = np.lexsort((-sims[c_idx], d_img[c_idx]))
                _, firsts = np.unique(d_img[c_idx][order], return_index=True)
                y_true[c_idx[order][firsts]] = 1.0
        found = y_true.sum()
        recalls[qi] = found / num_targets if num_targets else 0.0
        if found > 0:
            aps[qi] = average_precision(y_true, sims) * recalls[qi]
        ranked = y_true[np.argsort(-sims, kind='stable')]
        hits[qi] = [float(ranked[:k].any()) for k in topk]
    result: Dict[str, object] = dict(mAP=float(aps.mean()) if len(queries) else 0.0)
    for j, k in enumerate(topk):
        result[f'top{k}'] = float(hits[:, j].mean()) if len(queries) else 0.0
    result.update(ap=aps, topk_hits=hits, recall=recalls)
    return result


def eval_detection(gallery: Sequence[dict],
                   det_thresh: float = 0.5,
                   iou_thr: float = 0.5,
                   labelled_only: bool = False) -> Dict[str, float]:
    """Detection recall and AP of the gallery detections (one-to-one matching).

    Detections (score ``>= det_thresh``) are matched greedily in descending score order to the
    unmatched ground truth of highest IoU ``>= iou_thr``; ``AP = average_precision * recall``
    (missed people lower the AP, as in the person-search evaluation code).

    Args:
        gallery (Sequence[dict]): As in :func:`eval_person_search` (``feats`` unused).
        det_thresh (float): Minimum detection score. Defaults to 0.5.
        iou_thr (float): Match IoU. Defaults to 0.5.
        labelled_only (bool): Count only people with an identity as ground truth (detections
            matching an unlabelled person are then neither true nor false positives).
            Defaults to False.

    Returns:
        dict: ``recall`` and ``ap``.
    """
    y_true: List[np.ndarray] = []
    y_score: List[np.ndarray] = []
    num_gt = 0
    for g in gallery:
        scores = np.asarray(g['scores'], dtype=np.float64).reshape(-1)
        keep = scores >= det_thresh
        boxes = np.asarray(g['bboxes'], dtype=np.float64).reshape(-1, 4)[keep]
        scores = scores[keep]
        gts = np.asarray(g['gt_bboxes'], dtype=np.float64).reshape(-1, 4)
        pids = np.asarray(g['gt_person_ids']).reshape(-1)
        counted = pids >= 0 if labelled_only else np.ones(len(gts), dtype=bool)
        num_gt += int(counted.sum())
        order = np.argsort(-scores, kind='stable')
        boxes, scores = boxes[order], scores[order]
        labels = np.zeros(len(boxes))
        valid = np.ones(len(boxes), dtype=bool)
        if len(gts) and len(boxes):
            ious = _iou_matrix(boxes, gts)
            taken = np.zeros(len(gts), dtype=bool)
            for d in range(len(boxes)):  # greedy matching is sequential by definition
                cand = np.where(taken, -1.0, ious[d])
                j = int(np.argmax(cand))
                if cand[j] >= iou_thr:
                    taken[j] = True
                    if counted[j]:
                        labels[d] = 1.0
                    else:
                        valid[d] = False
        y_true.append(labels[valid])
        y_score.append(scores[valid])
    y_true_all = np.concatenate(y_true) if y_true else np.zeros(0)
    y_score_all = np.concatenate(y_score) if y_score else np.zeros(0)
    recall = float(y_true_all.sum() / num_gt) if num_gt else 0.0
    ap = average_precision(y_true_all, y_score_all) * recall if y_true_all.size else 0.0
    return dict(recall=recall, ap=float(ap))

