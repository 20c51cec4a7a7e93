# Copyright (c) mmped contributors. All rights reserved.
"""Rasterise boxes into dense targets (weak segmentation labels from box annotations).

Several pedestrian models supervise an auxiliary segmentation with masks made from boxes: GDFL's
scale-aware attention, DCRL's segmentation auxiliary task, BUFF's foreground head and Da-HAR's
fallback person masks. They share one rule, implemented here once: a cell belongs to a box when its
centre lies inside the box, and a cell inside several boxes belongs to the box of smallest area
(small, often occluded people keep their pixels where a larger person overlaps them).
"""
from typing import Optional, Sequence, Union

import torch
from torch import Tensor


def box_index_map(boxes: Tensor, out_shape: Sequence[int], stride: float = 1.0) -> Tensor:
    """Index of the box owning each cell of a ``(H, W)`` grid.

    Cell ``(i, j)`` covers image pixels ``[j * stride, (j + 1) * stride)`` horizontally and
    ``[i * stride, (i + 1) * stride)`` vertically; it belongs to a box ``(x1, y1, x2, y2)`` when its
    centre ``((j + 0.5) * stride, (i + 0.5) * stride)`` satisfies ``x1 <= cx < x2`` and
    ``y1 <= cy < y2``. Among the boxes containing a centre, the one with the smallest area wins
    (ties: the lower index).

    Args:
        boxes (Tensor): Boxes of shape (N, 4) in ``(x1, y1, x2, y2)`` image pixels.
        out_shape (Sequence[int]): Grid size ``(H, W)``.
        stride (float): Image pixels per grid cell. Defaults to 1.0 (image resolution).

    Returns:
        Tensor: Long tensor of shape (H, W) with the owning box index, -1 where no box.
    """
    height, width = int(out_shape[0]), int(out_shape[1])
    device = boxes.device
    owner = torch.full((height, width), -1, dtype=torch.long, device=device)
    if boxes.numel() == 0:
        return owner
    boxes = boxes.float()
    cy = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * stride
    cx = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * stride
    # each box covers the cell range [start, end) on each axis: the first centre >= x1 up to
    # the first centre >= x2 (the same comparisons as ``x1 <= cx < x2``)
    x_start = torch.searchsorted(cx, boxes[:, 0].contiguous()).tolist()
    x_end = torch.searchsorted(cx, boxes[:, 2].contiguous()).tolist()
    y_start = torch.searchsorted(cy, boxes[:, 1].contiguous()).tolist()
    y_end = torch.searchsorted(cy, boxes[:, 3].contiguous()).tolist()

    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    # priority: smaller area first, then lower index; paint the lowest priority first so the
    # winner of every overlap is painted last. One slice write per box (never per pixel):
    # memory stays O(H * W) where a (N, H, W) broadcast needs N times more.
    order = torch.sort(areas, stable=True).indices.flip(0).tolist()
    for i in order:
        owner[y_start[i]:y_end[i], x_start[i]:x_end[i]] = i
    return owner


def boxes_to_mask(boxes: Tensor,
                  out_shape: Sequence[int],
                  stride: float = 1.0,
                  values: Optional[Tensor] = None,
                  background: Union[int, float] = 0) -> Tensor:
    """Paint per-box values into a ``(H, W)`` grid with the rule of :func:`box_index_map`.

    Args:
        boxes (Tensor): Boxes of shape (N, 4) in ``(x1, y1, x2, y2)`` image pixels.
        out_shape (Sequence[int]): Grid size ``(H, W)``.
        stride (float): Image pixels per grid cell. Defaults to 1.0.
        values (Tensor, optional): Value of each box, shape (N, ), any dtype (e.g. class ids,
            scale classes, box heights, ignore flags). Defaults to ones (a binary foreground mask,
            long dtype).
        background (int | float): Value of cells outside every box. Defaults to 0.

    Returns:
        Tensor: Shape (H, W), dtype of ``values``.
    """
    owner = box_index_map(boxes, out_shape, stride)
    if values is None:
        values = torch.ones(boxes.shape[0], dtype=torch.long, device=boxes.device)
    if values.shape[0] != boxes.shape[0]:
        raise ValueError(f'values has {values.shape[0]} entries for {boxes.shape[0]} boxes')
    out = torch.full(owner.shape, background, dtype=values.dtype, device=values.device)
    covered = owner >= 0
    out[covered] = values[owner[covered]]
    return out
