# Copyright (c) mmped contributors. All rights reserved.
"""How many ground-truth boxes an anchor configuration can match (RPN positive coverage)."""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps

from mmped.registry import TASK_UTILS


def best_anchor_iou(gt_bboxes: torch.Tensor, anchor_generator: dict,
                    image_size: Tuple[int, int]) -> torch.Tensor:
    """Largest IoU of every box with any anchor of the image.

    The IoU of two axis-aligned boxes of fixed shapes only falls as their centres move apart
    along either axis, so for each anchor shape the best anchor is the one on the grid
    centre nearest the box centre (clipped to the feature map): ``N x K`` IoUs instead of
    ``N x (H * W * K)``.

    Args:
        gt_bboxes (Tensor): Shape (N, 4), ``x1, y1, x2, y2`` in network-input pixels.
        anchor_generator (dict): mmdet anchor generator config (e.g. the RPN head's).
        image_size (tuple[int, int]): ``(H, W)`` of the (padded) network input.

    Returns:
        Tensor: Shape (N, ), the best IoU of each box.
    """
    gen = TASK_UTILS.build(anchor_generator)
    gt = gt_bboxes.float().reshape(-1, 1, 4)
    best = gt.new_zeros((gt.shape[0], ))
    centre = (gt[..., :2] + gt[..., 2:]) / 2  # (N, 1, 2)
    for base, (sx, sy) in zip(gen.base_anchors, gen.strides):
        base = base.to(gt)[None]  # (1, K, 4) around the first grid centre
        stride = gt.new_tensor([sx, sy])
        size = gt.new_tensor([np.ceil(image_size[1] / sx), np.ceil(image_size[0] / sy)])
        base_centre = (base[..., :2] + base[..., 2:]) / 2
        cell = ((centre - base_centre) / stride).round()
        cell = torch.minimum(cell.clamp(min=0), size - 1)  # (N, K, 2)
        anchors = base + (cell * stride).repeat(1, 1, 2)
        ious = bbox_overlaps(gt.expand_as(anchors), anchors, is_aligned=True)  # (N, K)
        best = torch.maximum(best, ious.max(dim=1).values)
    return best


def anchor_coverage(gt_bboxes: torch.Tensor, anchor_generator: dict,
                    image_size: Tuple[int, int], iou_thr: float = 0.5,
                    height_bins: Sequence[float] = (0.0, 55.0, float('inf'))
                    ) -> Dict[str, float]:
    """Fraction of boxes with an anchor at ``IoU >= iou_thr`` (they can be RPN positives).

    Args:
        gt_bboxes (Tensor): Shape (N, 4), ``x1, y1, x2, y2``.
        anchor_generator (dict): Anchor generator config.
        image_size (tuple[int, int]): ``(H, W)`` of the network input.
        iou_thr (float): Positive IoU of the RPN assigner (``min_pos_iou`` with
            ``match_low_quality``). Defaults to 0.5.
        height_bins (Sequence[float]): Box-height bin edges ``[lo, hi)`` for per-bin coverage.

    Returns:
        dict[str, float]: ``'all'`` and ``'h[lo,hi)'`` coverages in [0, 1] (NaN for an empty
        bin) and ``'num'``, the number of boxes.
    """
    best = best_anchor_iou(gt_bboxes, anchor_generator, image_size)
    hit = best >= iou_thr
    heights = gt_bboxes[:, 3] - gt_bboxes[:, 1]
    out = dict(num=float(len(best)), all=float(hit.double().mean()) if len(best) else float('nan'))
    for lo, hi in zip(height_bins[:-1], height_bins[1:]):
        sel = (heights >= lo) & (heights < hi)
        out[f'h[{lo:g},{hi:g})'] = float(hit[sel].double().mean()) if bool(sel.any()) \
            else float('nan')
    return out
