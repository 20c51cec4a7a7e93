# Copyright (c) mmped contributors. All rights reserved.
"""Log-average miss rate (Caltech / CityPersons / KAIST / INRIA protocols), pure numpy.

The rules reproduce the reference toolboxes (Dollar's ``dbEval.m`` / ``bbGt.m``, the official
CityPersons ``eval_MR_multisetup.py`` and the MLPD KAIST ``evaluation_script.py``):

1. Per image, detections are sorted by descending score (stable) and cut to ``max_dets``;
   detections whose height is outside ``[h_lo / expand, h_hi * expand)`` are dropped.
2. Ground truth is ignored when the dataset says so or when it falls outside the setup
   (height, visibility, occlusion level, image boundary); it is sorted non-ignored first.
3. Greedy matching: each detection (in score order) takes the still-unmatched non-ignored GT
   with the highest IoU >= ``iou_thr`` (ties: the later GT in the sorted list); failing that,
   the first ignored GT whose IoA = intersection / area(detection) >= ``iou_thr`` absorbs it
   (an ignored GT absorbs any number of detections). Absorbed detections are neither TP nor FP.
4. TP / FP over all images after one global stable sort by score; FPPI = FP / number of images;
   recall = TP / number of non-ignored GT.
5. At each reference FPPI the recall at the largest FPPI <= reference is taken (0 when there
   is none, as ``bbGt('compRoc')``); MR = exp(mean(log(1 - recall))) (``mr_floor`` clamps the
   miss rate from below, as some MATLAB wrappers do with 1e-10; the Python references and
   ``dbEval`` do not clamp, so a perfect detector gets exactly 0).

Implementation: all (detection, GT) pairs of the same image are built at once with numpy
(overlapping pairs only), so the only Python loop left is the greedy assignment over the
candidate pairs (detection, non-ignored GT, IoU >= threshold), which has a tiny body.

Boxes are ``[x, y, w, h]`` here (the layout of every result file and reference script; the
float arithmetic is the reference's: ``x2 = x + w``, area = ``w * h``, height = ``h``).
"""
import math
from dataclasses import dataclass, field, replace
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

INF = math.inf

#: FPPI reference points of MR-2 (10^-2 ... 10^0) and MR-4 (10^-4 ... 10^0).
MR2_REFS = 10.0**np.arange(-2.0, 0.001, 0.25)
MR4_REFS = 10.0**np.arange(-4.0, 0.001, 0.25)


@dataclass(frozen=True)
class MRSetup:
    """One evaluation setup (subset of ground truth considered non-ignored).

    Args:
        name (str): Setup name (the key in result dicts).
        height_range (tuple[float, float]): GT height range ``[lo, hi]``.
        height_right_open (bool): ``[lo, hi)`` (Caltech ``dbEval``) instead of ``[lo, hi]``
            (CityPersons / KAIST scripts).
        vis_range (tuple[float, float], optional): Visible-fraction range, inclusive.
        occlusions (tuple[int, ...], optional): Allowed occlusion levels (KAIST 0/1/2).
        boundary (tuple[float, float, float, float], optional): ``(x1, y1, x2, y2)``: a GT is
            ignored unless ``x >= x1``, ``y >= y1``, ``x + w <= x2`` and ``y + h <= y2``.
        det_height_expand (float, optional): Detections are kept when their height is in
            ``[lo / expand, hi * expand)``; None keeps all (KAIST).
        aspect_ratio (float, optional): Standardise non-ignored GT (and detections when
            ``resize_dets``) to width = ratio x height, same centre and height (Caltech 0.41).
        resize_dets (bool): Whether detections are standardised too (the original toolbox
            does; some ports do not).
        condition (str, optional): Only images with this ``condition`` (KAIST day / night).
        gt_prefiltered (bool): The GT already carries this setup's ignore flags and aspect
            standardisation (``dbEval``'s ``gt-<setup>.mat`` caches): use the flags as they
            are, do not filter or resize GT again (detections are still processed).
    """
    name: str
    height_range: Tuple[float, float] = (50.0, INF)
    height_right_open: bool = False
    vis_range: Optional[Tuple[float, float]] = None
    occlusions: Optional[Tuple[int, ...]] = None
    boundary: Optional[Tuple[float, float, float, float]] = None
    det_height_expand: Optional[float] = 1.25
    aspect_ratio: Optional[float] = None
    resize_dets: bool = True
    condition: Optional[str] = None
    gt_prefiltered: bool = False


@dataclass(frozen=True)
class MRProtocol:
    """A benchmark protocol: its setups and matching / summary parameters.

    Args:
        name (str): Protocol name.
        setups (tuple[MRSetup, ...]): The setups, in reporting order.
        iou_thr (float): Matching threshold (IoU, IoA for ignored GT).
        max_dets (int, optional): Top-k detections per image (1000 in the Python references;
            None = all, as ``dbEval``).
        mr_floor (float, optional): Lower clamp of the miss rate before the log (None: no clamp).
        fppi_decimals (int, optional): Round the MR-2 reference points to this many decimals
            (the Python references hard-code ``[0.0100, 0.0178, ...]``, i.e. 4 decimals);
            None = exact ``10^(-2:0.25:0)`` (MATLAB).
        drop_images_without_dets (bool): Reproduce the MLPD KAIST script, which skips images
            without any detection entirely, so their ground truth does not count as missed
            (their images still count in FPPI).
        recall_key (str, optional): When set, the final recall of the first setup is also
            reported under this key (KAIST ``recall-all``).
    """
    name: str
    setups: Tuple[MRSetup, ...]
    iou_thr: float = 0.5
    max_dets: Optional[int] = 1000
    mr_floor: Optional[float] = None
    fppi_decimals: Optional[int] = None
    drop_images_without_dets: bool = False
    recall_key: Optional[str] = None

    def setup_names(self) -> List[str]:
        """Names of the setups in reporting order."""
        return [s.name for s in self.setups]


@dataclass
class MRResult:
    """Result of one setup.

    Attributes:
        mr2 (float): Log-average miss rate over 10^-2..10^0 FPPI (fraction; nan without GT).
        mr4 (float): The same over 10^-4..10^0.
        recall (float): Recall after all detections.
        fppi (np.ndarray): FPPI after each counted detection, shape (K,).
        miss_rate (np.ndarray): Miss rate after each counted detection, shape (K,).
        num_gt (int): Number of non-ignored GT.
        num_images (int): Number of images (FPPI denominator).
    """
    mr2: float
    mr4: float
    recall: float
    fppi: np.ndarray = field(repr=False)
    miss_rate: np.ndarray = field(repr=False)
    num_gt: int = 0
    num_images: int = 0


_CP_HEIGHT = dict(det_height_expand=1.25)
CITYPERSONS_PROTOCOL = MRProtocol(
    name='citypersons',
    setups=(
        MRSetup('Reasonable', (50, INF), vis_range=(0.65, INF), **_CP_HEIGHT),
        MRSetup('Reasonable_small', (50, 75), vis_range=(0.65, INF), **_CP_HEIGHT),
        MRSetup('Heavy', (50, INF), vis_range=(0.2, 0.65), **_CP_HEIGHT),
        MRSetup('All', (20, INF), vis_range=(0.2, INF), **_CP_HEIGHT),
    ),
    max_dets=1000,
    fppi_decimals=4)

_CALTECH = dict(height_right_open=True, boundary=(5, 5, 635, 475), det_height_expand=1.25,
                aspect_ratio=0.41)
CALTECH_PROTOCOL = MRProtocol(
    name='caltech',
    setups=(
        MRSetup('Reasonable', (50, INF), vis_range=(0.65, INF), **_CALTECH),
        MRSetup('All', (20, INF), vis_range=(0.2, INF), **_CALTECH),
        MRSetup('Heavy', (50, INF), vis_range=(0.2, 0.65), **_CALTECH),
        MRSetup('Partial', (50, INF), vis_range=(0.65, 1.0), **_CALTECH),
        MRSetup('Near', (80, INF), vis_range=(INF, INF), **_CALTECH),
        MRSetup('Medium', (30, 80), vis_range=(INF, INF), **_CALTECH),
        MRSetup('Far', (20, 30), vis_range=(INF, INF), **_CALTECH),
    ),
    max_dets=None)

# the new-annotation dbEval copies (Pedestron / CSP, Zhang et al. 2016 annotations): the
# current toolbox's bbGt, whose ranges are closed [lo, hi]; detections are not resized (the
# resize line is commented out in their loadDt); labels / visibility rule of the GT come from
# the parser (``parse_caltech(..., annotations='new')``)
_CALTECH_NEW = dict(height_right_open=False, boundary=(5, 5, 635, 475), det_height_expand=1.25,
                    aspect_ratio=0.41, resize_dets=False)
CALTECH_NEW_PROTOCOL = MRProtocol(
    name='caltech_new',
    setups=(
        MRSetup('Reasonable', (50, INF), vis_range=(0.65, INF), **_CALTECH_NEW),
        MRSetup('All', (20, INF), vis_range=(0.2, INF), **_CALTECH_NEW),
        MRSetup('Small', (50, 75), vis_range=(0.65, INF), **_CALTECH_NEW),
        MRSetup('Heavy', (50, INF), vis_range=(0.2, 0.65), **_CALTECH_NEW),
        MRSetup('Partial', (50, INF), vis_range=(0.65, 1.0), **_CALTECH_NEW),
    ),
    max_dets=None)

_INRIA = dict(height_right_open=True, boundary=None, det_height_expand=1.25, aspect_ratio=0.41)
INRIA_PROTOCOL = MRProtocol(
    name='inria',
    setups=(
        MRSetup('Reasonable', (50, INF), vis_range=(0.65, INF), **_INRIA),
        MRSetup('All', (20, INF), vis_range=(0.2, INF), **_INRIA),
    ),
    max_dets=None)

_KAIST = dict(boundary=(5, 5, 635, 507), det_height_expand=None)
KAIST_PROTOCOL = MRProtocol(
    name='kaist',
    setups=(
        MRSetup('Reasonable-all', (55, INF), occlusions=(0, 1), **_KAIST),
        MRSetup('Reasonable-day', (55, INF), occlusions=(0, 1), condition='day', **_KAIST),
        MRSetup('Reasonable-night', (55, INF), occlusions=(0, 1), condition='night', **_KAIST),
        MRSetup('Scale=near', (115, INF), occlusions=(0, ), **_KAIST),
        MRSetup('Scale=medium', (45, 115), occlusions=(0, ), **_KAIST),
        MRSetup('Scale=far', (1, 45), occlusions=(0, ), **_KAIST),
        MRSetup('Occ=none', (1, INF), occlusions=(0, ), **_KAIST),
        MRSetup('Occ=partial', (1, INF), occlusions=(1, ), **_KAIST),
        MRSetup('Occ=heavy', (1, INF), occlusions=(2, ), **_KAIST),
    ),
    max_dets=1000,
    # exact 10^(-2:0.25:0) points, as the MATLAB toolbox wrapper: this reproduces the published
    # KAIST table; MLPD's Python script rounds them to 4 decimals (``fppi_decimals=4``), which
    # moves one day-split sample point (7.96 instead of 7.95 for MLPD)
    fppi_decimals=None,
    drop_images_without_dets=True,
    recall_key='recall-all')

MR_PROTOCOLS: Dict[str, MRProtocol] = {
    p.name: p
    for p in (CITYPERSONS_PROTOCOL, CALTECH_PROTOCOL, CALTECH_NEW_PROTOCOL, KAIST_PROTOCOL,
              INRIA_PROTOCOL)
}


def get_mr_protocol(name: str,
                    setups: Optional[Sequence[str]] = None,
                    resize_dets: Optional[bool] = None,
                    gt_prefiltered: bool = False,
                    **overrides) -> MRProtocol:
    """Return a protocol preset, optionally restricted / modified.

    Args:
        name (str): ``'citypersons'``, ``'caltech'``, ``'kaist'`` or ``'inria'``.
        setups (Sequence[str], optional): Keep only these setups (in this order).
        resize_dets (bool, optional): Override detection aspect standardisation (Caltech /
            INRIA); None keeps the preset (True, the original toolbox).
        gt_prefiltered (bool): Mark the setups as evaluated on pre-filtered GT (see
            :class:`MRSetup`).
        **overrides: Any other :class:`MRProtocol` field (``max_dets``, ``iou_thr``,
            ``mr_floor``, ``fppi_decimals``, ``drop_images_without_dets``).

    Returns:
        MRProtocol: The protocol.
    """
    if name not in MR_PROTOCOLS:
        raise KeyError(f'unknown miss-rate protocol {name!r}; choose from {sorted(MR_PROTOCOLS)}')
    proto = MR_PROTOCOLS[name]
    chosen = list(proto.setups)
    if setups is not None:
        by_name = {s.name: s for s in proto.setups}
        unknown = [s for s in setups if s not in by_name]
        if unknown:
            raise KeyError(f'unknown setups {unknown} for protocol {name!r}; '
                           f'available: {list(by_name)}')
        chosen = [by_name[s] for s in setups]
    if resize_dets is not None:
        chosen = [replace(s, resize_dets=bool(resize_dets)) for s in chosen]
    if gt_prefiltered:
        chosen = [replace(s, gt_prefiltered=True) for s in chosen]
    return replace(proto, setups=tuple(chosen), **overrides)


def log_average_miss_rate(fppi: np.ndarray,
                          recall: np.ndarray,
                          refs: np.ndarray,
                          mr_floor: Optional[float] = None) -> float:
    """Log-average miss rate of a FPPI / recall curve.

    Args:
        fppi (np.ndarray): Non-decreasing FPPI after each counted detection, shape (K,).
        recall (np.ndarray): Recall after each counted detection, shape (K,).
        refs (np.ndarray): Reference FPPI points, shape (R,).
        mr_floor (float, optional): Lower clamp of the miss rate (None: ``log(0) = -inf``, so
            one perfect point makes the result 0, as in the Python references).

    Returns:
        float: exp(mean(log(1 - recall at refs))) (a fraction).
    """
    idx = np.searchsorted(fppi, refs, side='right') - 1
    rec = np.where(idx >= 0, recall[np.maximum(idx, 0)] if len(recall) else 0.0, 0.0)
    miss = 1.0 - rec
    if mr_floor is not None:
        miss = np.maximum(miss, mr_floor)
    with np.errstate(divide='ignore'):
        return float(np.exp(np.mean(np.log(miss))))


class _FlatGT:
    """Ground truth of all images as flat arrays (images sorted by id)."""

    def __init__(self, gt_images: Sequence[Mapping]):
        ids = [img['img_id'] for img in gt_images]
        if len(set(ids)) != len(ids):
            raise ValueError('duplicate img_id in the ground truth')
        try:
            order = sorted(range(len(ids)), key=lambda i: ids[i])
        except TypeError:  # mixed id types: keep the given order
            order = list(range(len(ids)))
        self.img_ids = [ids[i] for i in order]
        self.index = {k: i for i, k in enumerate(self.img_ids)}
        self.conditions = np.array([gt_images[i].get('condition', '') or '' for i in order])
        counts, boxes, ign, hts, vis, occ = [], [], [], [], [], []
        for i in order:
            insts = gt_images[i]['instances']
            counts.append(len(insts))
            for inst in insts:
                boxes.append(inst['bbox'])
                ign.append(inst.get('ignore_flag', 0))
                hts.append(inst.get('height', inst['bbox'][3] - inst['bbox'][1]))
                vis.append(inst.get('vis_ratio', INF))
                occ.append(inst.get('occlusion', -1))
        self.img = np.repeat(np.arange(len(order)), counts)
        xyxy = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
        self.ignore = np.asarray(ign, dtype=bool)
        self.height = np.asarray(hts, dtype=np.float64)
        self.vis = np.asarray(vis, dtype=np.float64)
        self.occ = np.asarray(occ, dtype=np.int64)
        self.start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


class _FlatDets:
    """Detections as flat arrays, grouped by image and sorted by score within each image."""

    def __init__(self, gt: _FlatGT, det_images: Mapping, max_dets: Optional[int]):
        imgs, boxes, scores = [], [], []
        for key, (b, s) in det_images.items():
            if key not in gt.index:
                continue  # detections on images outside the ground truth are not evaluated
            b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
            s = np.asarray(s, dtype=np.float64).reshape(-1)
            if len(b) != len(s):
                raise ValueError(f'image {key!r}: {len(b)} boxes but {len(s)} scores')
            imgs.append(np.full(len(s), gt.index[key], dtype=np.int64))
            boxes.append(b)
            scores.append(s)
        img = np.concatenate(imgs) if imgs else np.zeros(0, np.int64)
        box = np.concatenate(boxes) if boxes else np.zeros((0, 4))
        score = np.concatenate(scores) if scores else np.zeros(0)
        order = np.lexsort((-score, img))  # stable: ties keep the input order
        img, box, score = img[order], box[order], score[order]
        counts = np.bincount(img, minlength=len(gt.img_ids))
        start = np.concatenate([[0], np.cumsum(counts)])
        rank = np.arange(len(img)) - start[img]
        if max_dets is not None:
            keep = rank < max_dets
            img, box, score, rank = img[keep], box[keep], score[keep], rank[keep]
            counts = np.minimum(counts, max_dets)
        self.img, self.xywh, self.score = img, box, score
        self.counts = counts


def _pairs(gt: _FlatGT, dets: _FlatDets) -> Tuple[np.ndarray, np.ndarray]:
    """All (detection, GT) index pairs of the same image, shape (P,) each."""
    n_gt = np.diff(gt.start)[dets.img]
    det_idx = np.repeat(np.arange(len(dets.img)), n_gt)
    offs = np.arange(len(det_idx)) - np.repeat(np.cumsum(n_gt) - n_gt, n_gt)
    gt_idx = gt.start[dets.img][det_idx] + offs
    return det_idx, gt_idx


def _overlaps(det_xywh: np.ndarray, gt_xywh: np.ndarray, det_idx: np.ndarray,
              gt_idx: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping pairs among candidate index pairs and their intersection areas.

    Screens on x first (the cheap half), then computes y on the survivors only.

    Args:
        det_xywh (np.ndarray): Detection boxes, shape (D, 4).
        gt_xywh (np.ndarray): GT boxes, shape (G, 4).
        det_idx (np.ndarray): Pair detection indices, shape (P,).
        gt_idx (np.ndarray): Pair GT indices, shape (P,).

    Returns:
        tuple: ``det_idx``, ``gt_idx`` of the overlapping pairs and their intersection (Q,).
    """
    dx1, dy1 = det_xywh[:, 0], det_xywh[:, 1]
    dx2, dy2 = dx1 + det_xywh[:, 2], dy1 + det_xywh[:, 3]
    gx1, gy1 = gt_xywh[:, 0], gt_xywh[:, 1]
    gx2, gy2 = gx1 + gt_xywh[:, 2], gy1 + gt_xywh[:, 3]
    iw = np.minimum(dx2[det_idx], gx2[gt_idx])
    iw -= np.maximum(dx1[det_idx], gx1[gt_idx])
    keep = np.flatnonzero(iw > 0)
    det_idx, gt_idx, iw = det_idx[keep], gt_idx[keep], iw[keep]
    ih = np.minimum(dy2[det_idx], gy2[gt_idx])
    ih -= np.maximum(dy1[det_idx], gy1[gt_idx])
    keep = np.flatnonzero(ih > 0)
    return det_idx[keep], gt_idx[keep], iw[keep] * ih[keep]


def _standardise(xywh: np.ndarray, ratio: float) -> np.ndarray:
    """``bbApply('resize', bb, 1, 0, ratio)``: width = ratio x height, same centre."""
    out = xywh.copy()
    d = ratio * out[:, 3] - out[:, 2]
    out[:, 0] = out[:, 0] - d / 2
    out[:, 2] = out[:, 2] + d
    return out


def _setup_ignore(gt: _FlatGT, s: MRSetup) -> np.ndarray:
    """Per-GT ignore flags of a setup, shape (G,)."""
    if s.gt_prefiltered:
        return gt.ignore.copy()
    lo, hi = s.height_range
    h = gt.height
    ign = gt.ignore | (h < lo) | ((h >= hi) if s.height_right_open else (h > hi))
    if s.vis_range is not None:
        ign |= (gt.vis < s.vis_range[0]) | (gt.vis > s.vis_range[1])
    if s.occlusions is not None:
        ign |= ~np.isin(gt.occ, np.asarray(s.occlusions))
    if s.boundary is not None:
        x1, y1, x2, y2 = s.boundary
        b = gt.xywh
        ign |= (b[:, 0] < x1) | (b[:, 1] < y1) | (b[:, 0] + b[:, 2] > x2) | (b[:, 1] + b[:, 3] > y2)
    return ign


def _greedy(cand_det: np.ndarray, cand_gt: np.ndarray, num_dets: int,
            num_gt: int) -> np.ndarray:
    """Greedy assignment over sorted candidate pairs; returns per-detection matched flag (D,)."""
    taken = bytearray(num_gt)
    matched = bytearray(num_dets)
    last = -1
    for d, g in zip(cand_det.tolist(), cand_gt.tolist()):
        if d == last or taken[g]:
            continue
        taken[g] = 1
        matched[d] = 1
        last = d
    return np.frombuffer(bytes(matched), dtype=np.uint8).astype(bool)


def _evaluate_setup(gt: _FlatGT, dets: _FlatDets, s: MRSetup, proto: MRProtocol,
                    geom: Optional[dict]) -> MRResult:
    """Evaluate one setup; ``geom`` caches pair geometry shared by setups without resizing."""
    thr = proto.iou_thr
    img_keep = np.ones(len(gt.img_ids), bool)
    if s.condition is not None:
        img_keep = gt.conditions == s.condition
    gt_ign = _setup_ignore(gt, s)
    gt_in = img_keep[gt.img]

    # detection filter: image subset, height pre-filter
    det_box = dets.xywh
    if s.aspect_ratio is not None and s.resize_dets:
        det_box = _standardise(det_box, s.aspect_ratio)
    det_ok = img_keep[dets.img]
    if s.det_height_expand is not None:
        lo, hi = s.height_range
        hd = det_box[:, 3]
        det_ok &= (hd >= lo / s.det_height_expand) & (hd < hi * s.det_height_expand)
    if proto.drop_images_without_dets:
        has_det = dets.counts > 0
        img_counted = img_keep & has_det
    else:
        img_counted = img_keep
    num_pos = int(np.count_nonzero(~gt_ign & gt_in & img_counted[gt.img]))
    num_images = int(np.count_nonzero(img_keep))

    # pair geometry (intersection, det area, gt area) of overlapping pairs
    if geom is not None and s.aspect_ratio is None and 'pairs' in geom:
        det_idx, gt_idx, inter, d_area, g_area = geom['pairs']
    else:
        gt_box = gt.xywh
        if s.aspect_ratio is not None and not s.gt_prefiltered:
            gt_box = gt_box.copy()
            gt_box[~gt_ign] = _standardise(gt_box[~gt_ign], s.aspect_ratio)
        det_idx, gt_idx = _pairs(gt, dets)
        det_idx, gt_idx, inter = _overlaps(det_box, gt_box, det_idx, gt_idx)
        d_area = det_box[det_idx, 2] * det_box[det_idx, 3]
        g_area = gt_box[gt_idx, 2] * gt_box[gt_idx, 3]
        if geom is not None and s.aspect_ratio is None:
            geom['pairs'] = (det_idx, gt_idx, inter, d_area, g_area)
    ok = det_ok[det_idx]
    det_idx, gt_idx, inter, d_area, g_area = (a[ok] for a in (det_idx, gt_idx, inter, d_area,
                                                              g_area))
    pair_ign = gt_ign[gt_idx]

    # non-ignored candidates: IoU >= thr, processed in (detection, -IoU, -GT index) order
    pos = ~pair_ign
    iou = inter[pos] / (d_area[pos] + g_area[pos] - inter[pos])
    c_det, c_gt = det_idx[pos], gt_idx[pos]
    hit = iou >= thr
    c_det, c_gt, iou = c_det[hit], c_gt[hit], iou[hit]
    order = np.lexsort((-c_gt, -iou, c_det))
    matched = _greedy(c_det[order], c_gt[order], len(dets.img), len(gt.img))

    # ignored GT absorb the remaining detections with IoA >= thr
    ioa_hit = pair_ign & (inter / d_area >= thr)
    absorbed = np.zeros(len(dets.img), bool)
    absorbed[det_idx[ioa_hit]] = True
    counted = det_ok & (matched | ~absorbed)
    if proto.drop_images_without_dets:
        counted &= img_counted[dets.img]

    # accumulate over images: global stable sort by score
    sel = np.flatnonzero(counted)
    order = np.argsort(-dets.score[sel], kind='stable')
    tp = matched[sel][order]
    tp_sum = np.cumsum(tp, dtype=np.float64)
    fp_sum = np.cumsum(~tp, dtype=np.float64)
    fppi = fp_sum / max(num_images, 1)
    if num_pos == 0:
        nan = float('nan')
        return MRResult(nan, nan, nan, fppi, np.full_like(fppi, nan), 0, num_images)
    recall = tp_sum / num_pos
    refs2 = MR2_REFS if proto.fppi_decimals is None else np.round(MR2_REFS,
                                                                   proto.fppi_decimals)
    return MRResult(
        mr2=log_average_miss_rate(fppi, recall, refs2, proto.mr_floor),
        mr4=log_average_miss_rate(fppi, recall, MR4_REFS, proto.mr_floor),
        recall=float(recall[-1]) if len(recall) else 0.0,
        fppi=fppi,
        miss_rate=1.0 - recall,
        num_gt=num_pos,
        num_images=num_images)


def evaluate_miss_rate(gt_images: Sequence[Mapping],
                       det_images: Mapping,
                       protocol: 'MRProtocol | str' = 'citypersons',
                       setups: Optional[Sequence[str]] = None) -> Dict[str, MRResult]:
    """Evaluate detections with a miss-rate protocol.

    Args:
        gt_images (Sequence[dict]): Image records of :mod:`mmped.datasets.parsers` (``img_id``,
            ``instances`` with ``bbox`` xyxy, ``ignore_flag``, ``height``, ``vis_ratio``,
            ``occlusion``; optional ``condition``). Every listed image counts in FPPI.
        det_images (Mapping): ``img_id -> (bboxes (D, 4) [x, y, w, h], scores (D,))``;
            images missing here have no detections; ids unknown to the GT are ignored.
        protocol (MRProtocol | str): A protocol or the name of a preset.
        setups (Sequence[str], optional): Evaluate only these setups of a preset.

    Returns:
        dict[str, MRResult]: One result per setup, in protocol order.
    """
    if isinstance(protocol, str):
        protocol = get_mr_protocol(protocol, setups=setups)
    elif setups is not None:
        protocol = replace(protocol,
                           setups=tuple(s for s in protocol.setups if s.name in set(setups)))
    gt = _FlatGT(gt_images)
    dets = _FlatDets(gt, det_images, protocol.max_dets)
    geom: dict = {}
    return {s.name: _evaluate_setup(gt, dets, s, protocol, geom) for s in protocol.setups}


def summarize_miss_rate(results: Mapping[str, MRResult],
                        protocol: 'MRProtocol | str',
                        mr4: bool = False) -> Dict[str, float]:
    """Flatten results to ``{setup: MR-2 in percent}`` (+ ``<setup>_MR-4``, recall key).

    Args:
        results (Mapping[str, MRResult]): Output of :func:`evaluate_miss_rate`.
        protocol (MRProtocol | str): The protocol used (for its ``recall_key``).
        mr4 (bool): Also report MR-4.

    Returns:
        dict[str, float]: Percentages.
    """
    if isinstance(protocol, str):
        protocol = get_mr_protocol(protocol)
    out: Dict[str, float] = {}
    for name, res in results.items():
        out[name] = res.mr2 * 100
        if mr4:
            out[f'{name}_MR-4'] = res.mr4 * 100
    if protocol.recall_key and results:
        # the recall of the preset's first setup (KAIST ``recall-all`` = Reasonable-all);
        # not reported when that setup was not evaluated (e.g. ``setups=['Reasonable-day']``)
        preset = MR_PROTOCOLS.get(protocol.name)
        first = preset.setups[0].name if preset is not None else next(iter(results))
        if first in results:
            out[protocol.recall_key] = results[first].recall * 100
    return out
