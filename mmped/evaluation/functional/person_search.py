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
* CUHK-SYSU TestG galleries list a few images twice (sometimes with two different target boxes).
  ``duplicate_gallery`` chooses how such an image counts: ``'seqnet'`` (default, SeqNet's
  ``eval_func.py``) ranks the image's detections once, labelled with the box of its first entry,
  while every entry with a box counts in the recall denominator; ``'oim'`` (the original OIM
  ``psdb.py``) ranks the detections once per entry, each copy labelled with its own entry's box;
  ``'unique'`` (mmped before 0.2) ranks the image once with its first listed box and counts the
  image once in the denominator.
* Detection recall / AP (:func:`eval_detection`) follows SeqNet's ``eval_detection``: a detection
  is a true positive when it and a ground-truth box are each other's highest-IoU partner in the
  image and their IoU reaches 0.5 (``matching='mutual_best'``, scores play no part); SeqNet's
  test engine computes it on detections scoring ``>= 0.01`` and the search on ``>= 0.5``.

Inputs are plain dicts of numpy arrays so the same code serves the mmengine metric, offline
result files and hand-worked tests.
"""
from typing import Dict, List, Sequence, Tuple

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


def score_at_least(scores: np.ndarray, thresh: float) -> np.ndarray:
    """``scores >= thresh`` compared in the scores' own float precision.

    The reference filters the model's float32 scores against a Python float, which numpy
    compares in float32: a float32 score equal to ``float32(thresh)`` is kept.

    Args:
        scores (np.ndarray): Shape (N, ).
        thresh (float): The threshold.

    Returns:
        np.ndarray: Shape (N, ), bool.
    """
    scores = np.asarray(scores).reshape(-1)
    if np.issubdtype(scores.dtype, np.floating):
        return scores >= scores.dtype.type(thresh)
    return scores.astype(np.float64) >= thresh


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
            keep = score_at_least(g['scores'], det_thresh)
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


_DUPLICATE_MODES = ('seqnet', 'oim', 'unique')


def _first_occurrences(values: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of every distinct value, in input order."""
    _, first = np.unique(values, return_index=True)
    return np.sort(first)


def _query_entries(gal: _Gallery, query: dict, qi: int, cross_camera: bool,
                   duplicate_gallery: str) -> Tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The scored gallery entries of one query and their targets.

    Args:
        gal (_Gallery): The flattened gallery.
        query (dict): One query (see :func:`eval_person_search`).
        qi (int): Its index (for error messages).
        cross_camera (bool): Only images of other cameras (galleries without a protocol).
        duplicate_gallery (str): ``'seqnet'``, ``'oim'`` or ``'unique'``.

    Returns:
        tuple: ``images`` (E, ) gallery image index of every scored entry, ``t_entries`` (T, )
        positions in ``images`` of the entries holding a target, ``t_boxes`` (T, 4) their
        target boxes and ``num_targets``, the recall denominator.
    """
    protocol = query.get('gallery')
    if protocol is not None:
        try:
            entries = np.array([gal.index[name] for name in protocol], dtype=np.int64)
        except KeyError as err:
            raise KeyError(f'query {qi} ({query["img_id"]}): gallery image {err} has no '
                           'result') from None
        boxes = query.get('gallery_bboxes')
        if boxes is not None:
            if len(boxes) != len(entries):
                raise ValueError(f'query {qi} ({query["img_id"]}): {len(boxes)} gallery_bboxes '
                                 f'for {len(entries)} gallery images')
            has_box = np.array([b is not None for b in boxes], dtype=bool)
            box_arr = np.zeros((len(boxes), 4))
            if has_box.any():
                box_arr[has_box] = np.array([b for b in boxes if b is not None],
                                            dtype=np.float64).reshape(-1, 4)
            if duplicate_gallery == 'oim':
                sel = np.arange(entries.size)
            else:
                sel = _first_occurrences(entries)
            images = entries[sel]
            if duplicate_gallery == 'unique':
                # the first listed box of every image, the image counted once
                boxed = np.nonzero(has_box)[0]
                boxed = boxed[_first_occurrences(entries[boxed])]
                pos = np.full(gal.counts.size, -1, dtype=np.int64)
                pos[images] = np.arange(images.size)
                return images, pos[entries[boxed]], box_arr[boxed], int(boxed.size)
            t_entries = np.nonzero(has_box[sel])[0]
            return images, t_entries, box_arr[sel[t_entries]], int(has_box.sum())
        images = entries[_first_occurrences(entries)]
    else:
        mask = np.ones(gal.counts.size, dtype=bool)
        q_img = gal.index.get(query['img_id'], -1)
        if q_img >= 0:
            mask[q_img] = False
        if cross_camera:
            mask &= gal.cams != query.get('cam_id', -1)
        images = np.nonzero(mask)[0]
    # targets from the ground truth: the first box of the person in every searched image
    pos = np.full(gal.counts.size, -1, dtype=np.int64)
    pos[images] = np.arange(images.size)
    t_sel = np.nonzero((gal.gt_pid == query['person_id']) & (pos[gal.gt_img] >= 0))[0]
    t_imgs, first = np.unique(gal.gt_img[t_sel], return_index=True)
    return images, pos[t_imgs], gal.gt_box[t_sel[first]], int(t_imgs.size)


def eval_person_search(gallery: Sequence[dict],
                       queries: Sequence[dict],
                       det_thresh: float = 0.5,
                       topk: Sequence[int] = (1, 5, 10),
                       cross_camera: bool = False,
                       iou_base: float = 0.5,
                       duplicate_gallery: str = 'seqnet') -> Dict[str, object]:
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
        duplicate_gallery (str): How an image listed more than once in a protocol gallery with
            target boxes counts: ``'seqnet'`` (default), ``'oim'`` or ``'unique'`` (see the
            module docstring). Galleries without target boxes always count each image once.

    Returns:
        dict: ``mAP``, ``top{k}`` (fractions in [0, 1]), ``ap`` (Q, ), ``topk_hits`` (Q, len(topk)),
        ``recall`` (Q, ) = found / number of gallery images containing the target.
    """
    if duplicate_gallery not in _DUPLICATE_MODES:
        raise ValueError(f'duplicate_gallery={duplicate_gallery!r}, expected one of '
                         f'{_DUPLICATE_MODES}')
    gal = _Gallery(gallery, det_thresh)
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
        images, t_entries, t_boxes, num_targets = _query_entries(
            gal, query, qi, cross_camera, duplicate_gallery)
        # detections of every scored gallery entry, in entry order (an image scored twice by
        # the OIM rule contributes its detections twice)
        det = gal.det_indices(images)
        sims = block[qi % chunk][det].astype(np.float64)
        y_true = np.zeros(det.size)
        if det.size and t_entries.size:
            d_entry = np.repeat(np.arange(images.size), gal.counts[images])
            slot = np.full(images.size, -1, dtype=np.int64)
            slot[t_entries] = np.arange(t_entries.size)
            d_slot = slot[d_entry]
            has = d_slot >= 0
            cand = np.zeros(det.size, dtype=bool)
            if has.any():
                tb = t_boxes[d_slot[has]]
                iou = _pairwise_iou_rows(gal.boxes[det[has]], tb)
                thr = relaxed_iou_threshold(tb[:, 2] - tb[:, 0], tb[:, 3] - tb[:, 1], iou_base)
                cand[np.nonzero(has)[0][iou >= thr]] = True
            c_idx = np.nonzero(cand)[0]
            if c_idx.size:
                # first match only: per entry, the most similar candidate
                order = np.lexsort((-sims[c_idx], d_entry[c_idx]))
                _, firsts = np.unique(d_entry[c_idx][order], return_index=True)
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


_MATCHINGS = ('mutual_best', 'greedy')


def _mutual_best_tp(ious: np.ndarray, iou_thr: float) -> np.ndarray:
    """True positives of SeqNet's detection rule for one image.

    Args:
        ious (np.ndarray): Shape (G, D), IoU of every ground truth with every detection.
        iou_thr (float): Minimum IoU.

    Returns:
        np.ndarray: Shape (G, D), bool: ``True`` where the pair reaches ``iou_thr`` and each is
        the other's highest-IoU partner (first index on ties, as ``np.argmax``).
    """
    # the reference stores the IoUs as float32 before comparing them
    ious = ious.astype(np.float32)
    tf = ious >= np.float32(iou_thr)
    best_gt = np.argmax(ious, axis=0)
    best_det = np.argmax(ious, axis=1)
    rows = np.arange(ious.shape[0])[:, None]
    cols = np.arange(ious.shape[1])[None, :]
    return tf & (rows == best_gt[None, :]) & (cols == best_det[:, None])


def _greedy_tp(ious: np.ndarray, iou_thr: float) -> np.ndarray:
    """One-to-one matching in descending score order (detections pre-sorted by score).

    Args:
        ious (np.ndarray): Shape (G, D), columns in descending score order.
        iou_thr (float): Minimum IoU.

    Returns:
        np.ndarray: Shape (G, D), bool matches.
    """
    tp = np.zeros(ious.shape, dtype=bool)
    taken = np.zeros(ious.shape[0], dtype=bool)
    for d in range(ious.shape[1]):  # greedy matching is sequential by definition
        cand = np.where(taken, -1.0, ious[:, d])
        j = int(np.argmax(cand))
        if cand[j] >= iou_thr:
            taken[j] = True
            tp[j, d] = True
    return tp


def eval_detection(gallery: Sequence[dict],
                   det_thresh: float = 0.5,
                   iou_thr: float = 0.5,
                   labelled_only: bool = False,
                   matching: str = 'mutual_best') -> Dict[str, float]:
    """Detection recall and AP of the gallery detections.

    Reference: SeqNet's ``eval_detection`` (the OIM code's rule). Detections scoring
    ``>= det_thresh`` are compared with the image's ground truth; with
    ``matching='mutual_best'`` (default) a pair is a hit when its IoU reaches ``iou_thr`` and
    each box is the other's highest-IoU partner within the image, whatever the scores; a
    detection is a true positive when it is part of a hit. ``matching='greedy'`` matches in
    descending score order to the unmatched ground truth of highest IoU instead (the VOC
    rule; not the reference). ``recall = hits / ground truths`` and
    ``AP = average_precision * recall``.

    Args:
        gallery (Sequence[dict]): As in :func:`eval_person_search` (``feats`` unused).
        det_thresh (float): Minimum detection score. Defaults to 0.5 (SeqNet's test engine
            passes 0.01).
        iou_thr (float): Match IoU. Defaults to 0.5.
        labelled_only (bool): The reference's ``labeled_only``: people without an identity are
            removed from the ground truth before matching (detections on them become false
            positives) and images without a labelled person are skipped entirely (their
            detections count nowhere). Defaults to False.
        matching (str): ``'mutual_best'`` or ``'greedy'``. Defaults to ``'mutual_best'``.

    Returns:
        dict: ``recall`` and ``ap``.
    """
    if matching not in _MATCHINGS:
        raise ValueError(f'matching={matching!r}, expected one of {_MATCHINGS}')
    y_true: List[np.ndarray] = []
    y_score: List[np.ndarray] = []
    num_gt = num_tp = 0
    for g in gallery:
        gts = np.asarray(g['gt_bboxes'], dtype=np.float64).reshape(-1, 4)
        if labelled_only:
            gts = gts[np.asarray(g['gt_person_ids']).reshape(-1) >= 0]
            if not len(gts):
                continue
        keep = score_at_least(g['scores'], det_thresh)
        scores = np.asarray(g['scores'], dtype=np.float64).reshape(-1)
        boxes = np.asarray(g['bboxes'], dtype=np.float64).reshape(-1, 4)[keep]
        scores = scores[keep]
        num_gt += len(gts)
        if matching == 'greedy':
            order = np.argsort(-scores, kind='stable')
            boxes, scores = boxes[order], scores[order]
        if len(gts) and len(boxes):
            ious = _iou_matrix(gts, boxes)
            tp = _mutual_best_tp(ious, iou_thr) if matching == 'mutual_best' else \
                _greedy_tp(ious, iou_thr)
        else:
            tp = np.zeros((len(gts), len(boxes)), dtype=bool)
        num_tp += int(tp.sum())
        y_true.append(tp.any(axis=0).astype(np.float64))
        y_score.append(scores)
    y_true_all = np.concatenate(y_true) if y_true else np.zeros(0)
    y_score_all = np.concatenate(y_score) if y_score else np.zeros(0)
    recall = float(num_tp / num_gt) if num_gt else 0.0
    ap = average_precision(y_true_all, y_score_all) * recall if y_true_all.size else 0.0
    return dict(recall=recall, ap=float(ap))
