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

# boxes whose (K, H, W) membership is materialised at once on an accelerator: bounds the memory
# of :func:`box_index_map` to about this many booleans whatever the box count
_MEMBERSHIP_ELEMENTS = 1 << 25


def box_index_map(boxes: Tensor, out_shape: Sequence[int], stride: float = 1.0) -> Tensor:
    """Index of the box owning each cell of a ``(H, W)`` grid.

    Cell ``(i, j)`` covers image pixels ``[j * stride, (j + 1) * stride)`` horizontally and
    ``[i * stride, (i + 1) * stride)`` vertically; it belongs to a box ``(x1, y1, x2, y2)`` when its
    centre ``((j + 0.5) * stride, (i + 0.5) * stride)`` satisfies ``x1 <= cx < x2`` and
    ``y1 <= cy < y2``. Among the boxes containing a centre, the one with the smallest area wins
    (ties: the lower index).

    Two implementations give the same map. On the CPU every box paints its cell range with one
    slice write, in reverse (area, index) order (O(H * W) memory, fastest there). On an
    accelerator, where reading the ranges back to the host would synchronise, the first box of
    the (area, index) order whose row and column masks contain a cell owns it, found with tensor
    ops only, in chunks of boxes whose (K, H, W) membership stays under about 32 M booleans.

    Args:
        boxes (Tensor): Boxes of shape (N, 4) in ``(x1, y1, x2, y2)`` image pixels.
        out_shape (Sequence[int]): Grid size ``(H, W)``.
        stride (float): Image pixels per grid cell. Defaults to 1.0 (image resolution).

    Returns:
        Tensor: Long tensor of shape (H, W) with the owning box index, -1 where no box.
    """
    owner = boxes.new_full((int(out_shape[0]), int(out_shape[1])), -1, dtype=torch.long)
    if owner.numel() == 0:  # no cells (and no division by zero in the device path's chunks)
        return owner
    boxes = boxes.float()
    cy = _cell_centres(owner.shape[0], stride, boxes)
    cx = _cell_centres(owner.shape[1], stride, boxes)
    areas = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    # (area, index) order: a stable sort keeps the lower index first among equal areas
    order = torch.sort(areas, stable=True).indices
    # both paths give the same map (only their speed differs); mutants of the dispatch and of
    # the device call are equivalent, or unreachable, on the CPU (docs/testing.md)
    if boxes.device.type == 'cpu':  # pragma: no mutate
        return _paint_slices(owner, boxes, order, cx, cy)
    return _first_member(owner, boxes, order, cx, cy)  # pragma: no mutate


def _cell_centres(count: int, stride: float, like: Tensor) -> Tensor:
    """Image coordinates of the centres of ``count`` cells along one axis, shape (count, ),
    in the dtype and on the device of ``like``."""
    # dtype= and device= of arange are equivalent on the CPU (float32 after + 0.5)
    index = torch.arange(count, dtype=like.dtype, device=like.device)  # pragma: no mutate
    return (index + 0.5) * stride


def _paint_slices(owner: Tensor, boxes: Tensor, order: Tensor, cx: Tensor, cy: Tensor) -> Tensor:
    """CPU path of :func:`box_index_map`: one slice write per box, the winner painted last."""
    # each box covers the cell range [start, end) on each axis: the first centre >= x1 up to
    # the first centre >= x2 (the same comparisons as ``x1 <= cx < x2``)
    x_start = torch.searchsorted(cx, boxes[:, 0].contiguous()).tolist()
    x_end = torch.searchsorted(cx, boxes[:, 2].contiguous()).tolist()
    y_start = torch.searchsorted(cy, boxes[:, 1].contiguous()).tolist()
    y_end = torch.searchsorted(cy, boxes[:, 3].contiguous()).tolist()
    for i in order.flip(0).tolist():
        owner[y_start[i]:y_end[i], x_start[i]:x_end[i]] = i
    return owner


def _first_member(owner: Tensor, boxes: Tensor, order: Tensor, cx: Tensor,
                  cy: Tensor) -> Tensor:
    """Device path of :func:`box_index_map`: tensor ops only, no host synchronisation."""
    ranked = boxes[order]
    rows = (cy[None] >= ranked[:, 1, None]) & (cy[None] < ranked[:, 3, None])  # (N, H)
    cols = (cx[None] >= ranked[:, 0, None]) & (cx[None] < ranked[:, 2, None])  # (N, W)
    chunk = max(1, _MEMBERSHIP_ELEMENTS // owner.numel())
    for start in range(0, boxes.shape[0], chunk):
        inside = rows[start:start + chunk, :, None] & cols[start:start + chunk, None, :]
        # first box of the chunk containing each cell (argmax returns the first maximum)
        first = inside.to(torch.uint8).argmax(0)
        hit = inside.any(0) & (owner < 0)
        owner = torch.where(hit, order[start + first], owner)
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
        values = owner.new_ones(boxes.shape[0])
    if values.shape[0] != boxes.shape[0]:
        raise ValueError(f'values has {values.shape[0]} entries for {boxes.shape[0]} boxes')
    out = values.new_full(owner.shape, background)
    covered = owner >= 0
    out[covered] = values[owner[covered]]
    return out
