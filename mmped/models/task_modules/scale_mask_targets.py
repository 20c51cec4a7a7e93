# Copyright (c) mmped contributors. All rights reserved.
"""Weak scale-aware segmentation targets built from pedestrian boxes (GDFL / CA-GDFL)."""
import math
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmped.registry import TASK_UTILS

from .box_masks import box_index_map


@TASK_UTILS.register_module()
class ScaleMaskTargets:
    """Per-pixel scale-class labels and instance heights from boxes.

    Pixels whose centre lies inside a box are foreground of that box (a pixel inside several
    boxes belongs to the smallest one, :func:`box_index_map`); the rest is background (label 0).
    Two labelling modes:

    - ``height_thresholds`` (GDFL): one map whose foreground label is the box's scale class,
      ``1 + #(thresholds <= box height)``; GDFL uses ``(120, )`` (small < 120 px <= large, so
      ``S_c = 2``), ``()`` gives a single foreground class (Table VII "single scale attention").
    - ``height_ranges`` (CA-GDFL, Table II): one binary map per detection layer ``j``; a
      pedestrian is foreground (label 1) of layer ``j`` when ``lo_j <= round(h) <= hi_j`` (the
      height rounded to whole pixels, so that integer ranges leave no gap). Pedestrians
      outside the range are, with ``out_of_range='ignore'`` (the paper's eq. 8), excluded from
      the loss (weight 0), or, with ``out_of_range='background'`` (the "standard
      instance-sensitive weight" variant of the ablation), labelled background.

    Ignore boxes (crowds, riders, ignore regions...) mark pixels not owned by a real box as
    ignored (``valid = False``); real boxes take precedence over ignore boxes where they overlap.
    Heights are box heights in the (resized) image, 0 on background; the loss turns them into the
    instance-sensitive weight ``alpha + beta / h``.

    Args:
        height_thresholds (Sequence[float], optional): Scale-class thresholds in pixels
            (threshold mode). Defaults to ``(120., )``.
        height_ranges (Sequence[tuple[float, float]], optional): Inclusive ``(lo, hi)`` per
            detection layer (range mode; ``hi`` may be ``None``/``inf``). Setting it selects range
            mode and ``height_thresholds`` is ignored. Defaults to None.
        out_of_range (str): ``'ignore'`` or ``'background'`` (range mode only).
            Defaults to ``'ignore'``.
    """

    def __init__(self,
                 height_thresholds: Optional[Sequence[float]] = (120., ),
                 height_ranges: Optional[Sequence[Tuple[float, Optional[float]]]] = None,
                 out_of_range: str = 'ignore') -> None:
        if out_of_range not in ('ignore', 'background'):
            raise ValueError(f"out_of_range must be 'ignore' or 'background', got {out_of_range}")
        self.out_of_range = out_of_range
        self.height_ranges = None
        if height_ranges is not None:
            self.height_ranges = [(float(lo), math.inf if hi is None else float(hi))
                                  for lo, hi in height_ranges]
        thresholds = sorted(float(t) for t in (height_thresholds or ()))
        self.height_thresholds = thresholds

    @property
    def num_classes(self) -> int:
        """int: Classes of one map, background included (``S_c + 1``; 2 in range mode)."""
        return 2 if self.height_ranges is not None else len(self.height_thresholds) + 2

    @property
    def num_maps(self) -> int:
        """int: Maps per image (1 in threshold mode, one per layer in range mode)."""
        return 1 if self.height_ranges is None else len(self.height_ranges)

    def __call__(self,
                 gt_bboxes: Tensor,
                 out_shape: Sequence[int],
                 stride: float = 1.0,
                 ignore_bboxes: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """Build the targets of one image.

        Args:
            gt_bboxes (Tensor): Pedestrian boxes (N, 4), ``(x1, y1, x2, y2)`` image pixels.
            out_shape (Sequence[int]): Target grid ``(H, W)``.
            stride (float): Image pixels per grid cell. Defaults to 1.0.
            ignore_bboxes (Tensor, optional): Ignore boxes (M, 4). Defaults to None.

        Returns:
            tuple[Tensor, Tensor, Tensor]: With ``L = num_maps``:

            - labels: long (L, H, W), 0 background, ``1..S_c`` scale classes;
            - heights: float (L, H, W), owning box height on labelled foreground, 0 elsewhere;
            - valid: bool (L, H, W), False where the pixel must not contribute to the loss.
        """
        shape = (int(out_shape[0]), int(out_shape[1]))
        gt_bboxes = gt_bboxes.reshape(-1, 4).float()
        owner = box_index_map(gt_bboxes, shape, stride)  # (H, W)
        fg = owner >= 0
        box_h = (gt_bboxes[:, 3] - gt_bboxes[:, 1]).clamp(min=1e-6)
        pix_h = gt_bboxes.new_zeros(shape)
        pix_h[fg] = box_h[owner[fg]]
        valid = torch.ones_like(fg)
        if ignore_bboxes is not None:  # an empty tensor rasterises nothing
            ign = box_index_map(ignore_bboxes.reshape(-1, 4).float(), shape, stride) >= 0
            valid = ~(ign & ~fg)

        if self.height_ranges is None:
            # without thresholds every height is in bucket 0: one foreground class
            scale = torch.bucketize(pix_h, pix_h.new_tensor(self.height_thresholds),
                                    right=True) + 1
            labels = torch.where(fg, scale, torch.zeros_like(owner))
            return labels[None], pix_h[None], valid[None]

        lo = pix_h.new_tensor([r[0] for r in self.height_ranges])[:, None, None]
        hi = pix_h.new_tensor([r[1] for r in self.height_ranges])[:, None, None]
        # whole-pixel heights for the range test: Table II's integer ranges ({30, 89},
        # {90, 169}...) then tile the height axis, a 89.6 px box is not left out of every layer
        h_px = torch.round(pix_h)[None]
        in_range = fg[None] & (h_px >= lo) & (h_px <= hi)  # (L, H, W)
        labels = in_range.long()
        heights = torch.where(in_range, pix_h[None], torch.zeros_like(pix_h)[None])
        valid_l = valid[None].expand_as(in_range)
        if self.out_of_range == 'ignore':
            valid_l = valid_l & ~(fg[None] & ~in_range)
        return labels, heights, valid_l.clone()
