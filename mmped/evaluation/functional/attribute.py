# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian attribute recognition metrics (PETA / RAP / PA-100K and WIDER-Attribute).

Pure numpy. Conventions: ``gt`` holds 1 (present) / 0 (absent) and, optionally, entries equal to
``ignore_value`` (unspecified or uncertain labels) which are left out of every count.
"""
from typing import Dict, Optional

import numpy as np

from .person_search import average_precision

__all__ = ['eval_attributes', 'eval_wider_attribute_map']


def _check_pair(gt: np.ndarray, scores: np.ndarray, name: str) -> tuple:
    gt = np.asarray(gt)
    scores = np.asarray(scores, dtype=np.float64)
    if gt.ndim != 2 or gt.shape != scores.shape:
        raise ValueError(f'gt and {name} must be 2-D arrays of the same shape (N, A), got '
                         f'{gt.shape} and {scores.shape}')
    return gt, scores


def _valid_mask(gt: np.ndarray, ignore_value: Optional[float]) -> np.ndarray:
    valid = np.ones(gt.shape, dtype=bool) if ignore_value is None else gt != ignore_value
    bad = valid & (gt != 0) & (gt != 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f'gt[{i}, {j}] = {gt[i, j]} is neither 0, 1 nor ignore_value='
                         f'{ignore_value}')
    return valid


def eval_attributes(gt: np.ndarray,
                    probs: np.ndarray,
                    threshold: float = 0.5,
                    ignore_value: Optional[float] = None,
                    eps: float = 1e-20) -> Dict[str, np.ndarray]:
    """Label-based mA and instance-based accuracy / precision / recall / F1.

    Definitions (the common PETA / RAP / PA-100K protocol, e.g. Rethinking-of-PAR):

    - per attribute: ``pos_recall = TP / P``, ``neg_recall = TN / N``, ``ma = (pos_recall +
      neg_recall) / 2``; ``mA`` = mean of ``ma`` over attributes.
    - per sample: ``acc = |Y and Y^| / |Y or Y^|``, ``prec = |Y and Y^| / |Y^|``, ``rec = |Y and
      Y^| / |Y|`` (``eps`` in the denominators, so a sample with no predicted positive has
      precision 0); ``accuracy``, ``precision``, ``recall`` are their means over samples and
      ``f1 = 2 * precision * recall / (precision + recall)`` (from the means, NOT the mean of
      per-sample F1).

    Ignored entries (``gt == ignore_value``) count nowhere. An attribute without any valid
    positive (or negative) sample has an undefined recall for that side; like the reference
    implementations it is computed with ``eps`` (giving 0), so check ``label_pos_count`` /
    ``label_neg_count``.

    Args:
        gt (np.ndarray): Labels, shape (N, A), values in {0, 1} or ``ignore_value``.
        probs (np.ndarray): Probabilities (or any score thresholded at ``threshold``), shape
            (N, A).
        threshold (float): A prediction is positive when ``probs > threshold`` (strict, as
            in Rethinking-of-PAR). Defaults to 0.5.
        ignore_value (float, optional): Label value marking an unspecified entry.
        eps (float): Denominator guard. Defaults to 1e-20.

    Returns:
        dict: ``mA``, ``accuracy``, ``precision``, ``recall``, ``f1`` (floats in [0, 1]) and
        per-attribute arrays (A,): ``label_pos_recall``, ``label_neg_recall``, ``label_ma``,
        ``label_pos_count``, ``label_neg_count``; per-sample arrays (N,): ``instance_acc``,
        ``instance_prec``, ``instance_recall``.
    """
    gt, probs = _check_pair(gt, probs, 'probs')
    valid = _valid_mask(gt, ignore_value)
    pos = (gt == 1) & valid
    neg = (gt == 0) & valid
    pred = (probs > threshold) & valid

    tp = (pos & pred).sum(0)
    tn = (neg & ~pred).sum(0)
    n_pos = pos.sum(0)
    n_neg = neg.sum(0)
    pos_recall = tp / (n_pos + eps)
    neg_recall = tn / (n_neg + eps)
    label_ma = (pos_recall + neg_recall) / 2

    inter = (pos & pred).sum(1)
    union = (pos | pred).sum(1)
    inst_acc = inter / (union + eps)
    inst_prec = inter / (pred.sum(1) + eps)
    inst_rec = inter / (pos.sum(1) + eps)
    precision = float(inst_prec.mean()) if len(gt) else 0.0
    recall = float(inst_rec.mean()) if len(gt) else 0.0
    f1 = 2 * precision * recall / (precision + recall + eps)
    return dict(
        mA=float(label_ma.mean()) if gt.shape[1] else 0.0,
        accuracy=float(inst_acc.mean()) if len(gt) else 0.0,
        precision=precision,
        recall=recall,
        f1=float(f1),
        label_pos_recall=pos_recall,
        label_neg_recall=neg_recall,
        label_ma=label_ma,
        label_pos_count=n_pos,
        label_neg_count=n_neg,
        instance_acc=inst_acc,
        instance_prec=inst_prec,
        instance_recall=inst_rec)


def eval_wider_attribute_map(gt: np.ndarray,
                             scores: np.ndarray,
                             ignore_value: Optional[float] = None) -> Dict[str, np.ndarray]:
    """WIDER-Attribute mAP: per-attribute AP with unspecified samples removed.

    Args:
        gt (np.ndarray): Labels, shape (N, A), 1 / 0 (WIDER's -1) or ``ignore_value`` (WIDER's
            0 = unspecified, converted by :class:`WIDERAttributeDataset`).
        scores (np.ndarray): Scores, shape (N, A).
        ignore_value (float, optional): Label value of unspecified entries.

    Returns:
        dict: ``ap`` (A,) (NaN for an attribute without any valid positive) and ``mAP``, the
        mean over attributes with a defined AP.
    """
    gt, scores = _check_pair(gt, scores, 'scores')
    valid = _valid_mask(gt, ignore_value)
    ap = np.full(gt.shape[1], np.nan)
    for a in range(gt.shape[1]):
        labels = gt[valid[:, a], a]
        if (labels == 1).any():
            # non-interpolated AP over distinct thresholds (sklearn's, as the WIDER code)
            ap[a] = average_precision(labels, scores[valid[:, a], a])
    defined = ~np.isnan(ap)
    return dict(ap=ap, mAP=float(ap[defined].mean()) if defined.any() else float('nan'))
