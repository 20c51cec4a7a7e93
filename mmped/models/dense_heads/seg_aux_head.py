# Copyright (c) mmped contributors. All rights reserved.
"""Box-mask segmentation auxiliary head (DCRL-PDN / DCRD-PDN, Sec. III-C)."""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import roi_align
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmped.models.task_modules import boxes_to_mask
from mmped.registry import MODELS


@MODELS.register_module()
class BoxMaskSegHead(BaseModule):
    """A 1x1 convolution predicting pedestrian / background per cell, supervised by box masks.

    Used at image level on the (concatenated) conv5 features in the region proposal stage
    (Eq. (8)) and per RoI on the pooled RoI features in the detection refinement stage (Eq. (9)).
    The target of a cell is 1 when its centre lies inside a ground-truth box
    (:func:`mmped.models.task_modules.boxes_to_mask`), ``ignore_index`` when it lies only in
    ignore regions (``gt_instances_ignore``, e.g. KAIST ``people`` / ``person?``), 0 otherwise.
    The loss is the cross-entropy averaged over the non-ignored cells.

    Args:
        in_channels (int): Input channels (``M * C`` for the concatenated teacher features).
        num_classes (int): Output channels; channel 1 is the pedestrian class. Defaults to 2.
        loss_weight (float): ``eta`` of Eq. (1). Defaults to 1.0.
        ignore_index (int): Target value of ignored cells. Defaults to 255.
        init_cfg (dict | list[dict], optional): Initialisation (Gaussian, std 0.01).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 2,
                 loss_weight: float = 1.0,
                 ignore_index: int = 255,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Conv2d', std=0.01, bias=0)) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self.conv_seg = nn.Conv2d(in_channels, num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Mask logits.

        Args:
            x (Tensor): Features of shape (N, in_channels, H, W) (or (R, ...) RoI features).

        Returns:
            Tensor: Logits of shape (N, num_classes, H, W).
        """
        return self.conv_seg(x)

    def _image_target(self, gt: InstanceData, ignore: Optional[InstanceData],
                      out_shape: Sequence[int], stride: float) -> Tensor:
        target = boxes_to_mask(gt.bboxes, out_shape, stride)
        if ignore is not None and len(ignore) > 0:
            ignored = boxes_to_mask(ignore.bboxes, out_shape, stride).bool() & (target == 0)
            target = target.masked_fill(ignored, self.ignore_index)
        return target

    def get_targets(self,
                    batch_gt_instances: List[InstanceData],
                    out_shape: Sequence[int],
                    stride: float,
                    batch_gt_instances_ignore: Optional[List[InstanceData]] = None) -> Tensor:
        """Image-level box-mask targets.

        Args:
            batch_gt_instances (list[InstanceData]): ``bboxes`` (K, 4) xyxy per image.
            out_shape (Sequence[int]): Grid size ``(H, W)``.
            stride (float): Image pixels per cell.
            batch_gt_instances_ignore (list[InstanceData], optional): Ignore regions.

        Returns:
            Tensor: Long tensor of shape (N, H, W) with values 0, 1 or ``ignore_index``.
        """
        ignores = batch_gt_instances_ignore or [None] * len(batch_gt_instances)
        return torch.stack([
            self._image_target(gt, ign, out_shape, stride)
            for gt, ign in zip(batch_gt_instances, ignores)
        ])

    def get_roi_targets(self,
                        rois: Tensor,
                        batch_gt_instances: List[InstanceData],
                        batch_input_shape: Sequence[int],
                        out_size: Sequence[int],
                        mask_stride: float = 4.0,
                        batch_gt_instances_ignore: Optional[List[InstanceData]] = None
                        ) -> Tensor:
        """Per-RoI box-mask targets (Eq. (9)).

        Image-level masks are rasterised at ``mask_stride`` and resampled onto each RoI's
        ``out_size`` grid with RoIAlign; a bin is foreground when at least half of it is
        foreground, ignored when at least half of it is ignore region, background otherwise.

        Args:
            rois (Tensor): Shape (R, 5), ``(batch_idx, x1, y1, x2, y2)``.
            batch_gt_instances (list[InstanceData]): Ground truth per image.
            batch_input_shape (Sequence[int]): Padded batch input ``(H, W)``.
            out_size (Sequence[int]): RoI grid ``(h, w)`` (the RoI feature size).
            mask_stride (float): Image pixels per cell of the intermediate masks.
            batch_gt_instances_ignore (list[InstanceData], optional): Ignore regions.

        Returns:
            Tensor: Long tensor of shape (R, h, w).
        """
        grid = (int(-(-batch_input_shape[0] // mask_stride)),
                int(-(-batch_input_shape[1] // mask_stride)))
        masks = self.get_targets(batch_gt_instances, grid, mask_stride,
                                 batch_gt_instances_ignore)
        planes = torch.stack([masks == 1, masks == self.ignore_index], dim=1).float()
        sampled = roi_align(planes, rois.float(), tuple(int(s) for s in out_size),
                            1.0 / mask_stride, 2, 'avg', True)  # (R, 2, h, w)
        target = (sampled[:, 0] >= 0.5).long()
        ignored = (sampled[:, 1] >= 0.5) & (target == 0)
        return target.masked_fill(ignored, self.ignore_index)

    def loss_by_feat(self, logits: Tensor, targets: Tensor) -> Tensor:
        """Cross-entropy over non-ignored cells, times ``loss_weight``.

        Args:
            logits (Tensor): Shape (N, num_classes, H, W).
            targets (Tensor): Long tensor of shape (N, H, W).

        Returns:
            Tensor: Scalar loss (zero, with gradient, when every cell is ignored or N is 0).
        """
        if targets.numel() == 0 or bool((targets == self.ignore_index).all()):
            return logits.sum() * 0
        loss = F.cross_entropy(logits, targets, ignore_index=self.ignore_index)
        return self.loss_weight * loss
