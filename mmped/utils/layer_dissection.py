# Copyright (c) mmped contributors. All rights reserved.
"""Convolutional layer dissection (GDFL Sec. IV-A, eq. 6).

For a layer ``i`` and channel ``c``, ``IoU_{i,c}`` compares the binary map of the channel's
strongest activations, ``1(F_{i,c} >= tau_{i,c})``, with the pedestrian mask ``M_i`` reduced to
the layer's size. Our reading of the paper's "tau_i ... to retain the 5 % strongest
activation": the threshold is set per channel over the whole set of images dissected (as in
Network Dissection, Bau et al. 2017, which the procedure follows), so every channel keeps its
top 5 % positions; intersections and unions are summed over the images before the ratio. A
channel counts as a pedestrian channel when its IoU exceeds ``iou_thr`` (0.04, Network
Dissection's cut; the paper gives none). The paper finds about 28 % pedestrian channels.
"""
import math
from typing import Dict, Sequence

import torch
from torch import Tensor


def box_cell_mask(boxes: Tensor, size: Sequence[int], stride: float) -> Tensor:
    """Cells of a feature map whose centre lies inside a box.

    Args:
        boxes (Tensor): (B, 4) ``x1, y1, x2, y2`` boxes in input-image pixels.
        size (Sequence[int]): Feature map size (h, w).
        stride (float): Input pixels per cell.

    Returns:
        Tensor: (h, w) bool mask, True where a cell centre ``((j + 0.5) s, (i + 0.5) s)`` is in
        ``[x1, x2) x [y1, y2)`` of some box.
    """
    h, w = int(size[0]), int(size[1])
    boxes = boxes.reshape(-1, 4).float()
    ys = (torch.arange(h, device=boxes.device, dtype=torch.float32) + 0.5) * stride
    xs = (torch.arange(w, device=boxes.device, dtype=torch.float32) + 0.5) * stride
    in_y = (ys[None, :] >= boxes[:, 1:2]) & (ys[None, :] < boxes[:, 3:4])  # (B, h)
    in_x = (xs[None, :] >= boxes[:, 0:1]) & (xs[None, :] < boxes[:, 2:3])  # (B, w)
    return (in_y[:, :, None] & in_x[:, None, :]).any(dim=0)


def dissect_channels(feats: Tensor, masks: Tensor, top: float = 0.05,
                     iou_thr: float = 0.04) -> Dict[str, object]:
    """Eq. 6 for every channel of one layer, over a set of positions.

    Args:
        feats (Tensor): (C, P) activations of the layer's C channels at P positions (all
            images' cells, flattened together).
        masks (Tensor): (P, ) bool pedestrian mask at the same positions.
        top (float): Fraction of the strongest activations kept per channel. Defaults to 0.05.
        iou_thr (float): IoU above which a channel is a pedestrian channel. Defaults to 0.04.

    Returns:
        dict: ``iou`` (C, ) tensor, ``threshold`` (C, ) tensor (tau per channel: the
        ``ceil(top * P)``-th largest activation; positions at or above it are kept, i.e. the
        ``ceil(top * P)`` strongest plus ties), ``pedestrian`` (C, ) bool, ``share`` (float,
        fraction of pedestrian channels).
    """
    if feats.dim() != 2 or masks.shape != feats.shape[1:]:
        raise ValueError(f'feats (C, P) and masks (P, ) expected, got {tuple(feats.shape)} and '
                         f'{tuple(masks.shape)}')
    num = feats.shape[1]
    k = max(1, math.ceil(top * num - 1e-9))
    tau = feats.topk(k, dim=1).values[:, -1]
    active = feats >= tau[:, None]
    masks = masks.bool()[None]
    inter = (active & masks).sum(dim=1).float()
    union = (active | masks).sum(dim=1).float()
    iou = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))
    pedestrian = iou > iou_thr
    return dict(iou=iou, threshold=tau, pedestrian=pedestrian,
                share=float(pedestrian.float().mean()))
