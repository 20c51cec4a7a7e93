# Copyright (c) mmped contributors. All rights reserved.
"""GDFL's detection head: SSD-style 2-class softmax + smooth L1 with an attention-mask loss."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.dense_heads import SSDHead
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.models.utils import unpack_gt_instances
from mmdet.utils import ConfigType, InstanceList, OptInstanceList
from torch import Tensor

from mmped.registry import MODELS, TASK_UTILS

# Table I of the paper: default-box heights per detection layer (conv4_3, conv5_3, conv6_2,
# conv7_2), aspect ratio w / h = 0.41.
GDFL_BOX_HEIGHTS = ((40., 60., 80.), (110., 130., 150.), (180., 210., 240.), (270., 300., 330.))


@TASK_UTILS.register_module()
class PedestrianAnchorGenerator(AnchorGenerator):
    """Default boxes of fixed heights and one aspect ratio per level (GDFL Table I).

    Args:
        strides (Sequence[int]): Stride of each level.
        heights (Sequence[Sequence[float]]): Box heights (pixels) of each level.
        aspect_ratio (float): Width / height of every box. Defaults to 0.41.
        center_offset (float): Box centres at ``(j + center_offset) * stride`` (0.5: cell
            centres, as in SSD). Defaults to 0.5.
    """

    def __init__(self,
                 strides: Sequence[int],
                 heights: Sequence[Sequence[float]] = GDFL_BOX_HEIGHTS,
                 aspect_ratio: float = 0.41,
                 center_offset: float = 0.5) -> None:
        if len(heights) != len(strides):
            raise ValueError(f'{len(strides)} strides but {len(heights)} height lists')
        self.heights = [list(map(float, h)) for h in heights]
        self.aspect_ratio = aspect_ratio
        super().__init__(strides=strides, ratios=[1.0], scales=[1.0],
                         center_offset=center_offset)

    def gen_base_anchors(self) -> List[Tensor]:
        """Base boxes of each level, centred on the first cell's centre.

        Returns:
            list[Tensor]: Per level (A_l, 4) boxes ``(x1, y1, x2, y2)``.
        """
        anchors = []
        for (sw, sh), heights in zip(self.strides, self.heights):
            h = torch.tensor(heights)
            w = h * self.aspect_ratio
            cx, cy = self.center_offset * sw, self.center_offset * sh
            anchors.append(torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1))
        return anchors

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(strides={self.strides}, heights={self.heights}, '
                f'aspect_ratio={self.aspect_ratio}, center_offset={self.center_offset})')


@MODELS.register_module()
class GDFLHead(SSDHead):
    """SSD head with GDFL's default boxes, loss weights and attention-mask loss.

    Per detection layer two sibling 3x3 convs predict a 2-class softmax (pedestrian /
    background) and box offsets for the default boxes of Table I. Training uses SSD's hard
    negative mining (``train_cfg.neg_pos_ratio``, 3 in the paper) and the smooth L1 loss, the
    total being ``L_conf + loc_weight * L_loc + L_mask`` (1 / 2 / 1). ``L_mask`` (the mask loss
    weight lives in ``loss_mask.loss_weight``) is computed by :meth:`loss` from the mask logits the
    GDFL neck returns, against :class:`ScaleMaskTargets` built at the logits' resolution:

    - GDFL: one tensor (N, S_c + 1, H', W') and a threshold-mode target;
    - CA-GDFL: a list of (N, 2, H'_j, W'_j), one per detection layer, and a range-mode target
      with one height range per layer, ``L_mask = sum_j L_mask_j`` (eq. 9).

    Args:
        num_classes (int): Foreground classes. Defaults to 1 (pedestrian).
        in_channels (Sequence[int]): Channels of each detection layer.
        anchor_generator (dict): Prior generator config. Defaults to Table I boxes at strides
            8 / 16 / 32 / 64.
        bbox_coder (dict): Box coder config (SSD's variances 0.1 / 0.2).
        loc_weight (float): ``lambda_l``. Defaults to 2.0.
        mask_target (dict): :class:`ScaleMaskTargets` config. Defaults to the GDFL 120 px split.
        loss_mask (dict): Mask loss config. Defaults to :class:`InstanceSensitiveMaskLoss`
            (alpha 3, beta 10, weight 1).
        train_cfg (dict, optional): SSD training config (assigner, ``neg_pos_ratio``,
            ``smoothl1_beta``...).
        test_cfg (dict, optional): Test config (``nms=dict(type='nms', iou_threshold=0.45)``...).
        **kwargs: Other :class:`mmdet.models.dense_heads.SSDHead` arguments.
    """

    def __init__(self,
                 num_classes: int = 1,
                 in_channels: Sequence[int] = (512, 512, 512, 256),
                 anchor_generator: Optional[ConfigType] = None,
                 bbox_coder: Optional[ConfigType] = None,
                 loc_weight: float = 2.0,
                 mask_target: Optional[ConfigType] = None,
                 loss_mask: Optional[ConfigType] = None,
                 **kwargs) -> None:
        anchor_generator = anchor_generator or dict(
            type='mmped.PedestrianAnchorGenerator', strides=(8, 16, 32, 64),
            heights=GDFL_BOX_HEIGHTS, aspect_ratio=0.41)
        bbox_coder = bbox_coder or dict(
            type='DeltaXYWHBBoxCoder', clip_border=True, target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2])
        super().__init__(num_classes=num_classes, in_channels=in_channels,
                         anchor_generator=anchor_generator, bbox_coder=bbox_coder, **kwargs)
        self.loc_weight = loc_weight
        # mmdet 3.3's BaseDenseHead._predict_by_feat_single reads `self.loss_cls`, which SSDHead
        # never sets (its softmax loss is computed inline with hard negative mining)
        self.loss_cls = None
        self.mask_target = TASK_UTILS.build(
            mask_target or dict(type='mmped.ScaleMaskTargets', height_thresholds=(120., )))
        self.loss_mask = MODELS.build(loss_mask or dict(
            type='mmped.InstanceSensitiveMaskLoss', alpha=3.0, beta=10.0, loss_weight=1.0))

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> Dict[str, List[Tensor]]:
        """SSD losses with the localisation loss scaled by ``loc_weight``.

        Args:
            cls_scores (list[Tensor]): Per level (N, A_l * 2, H_l, W_l).
            bbox_preds (list[Tensor]): Per level (N, A_l * 4, H_l, W_l).
            batch_gt_instances (list[InstanceData]): Ground truth (``bboxes``, ``labels``).
            batch_img_metas (list[dict]): Image meta information.
            batch_gt_instances_ignore (list[InstanceData], optional): Ignore boxes.

        Returns:
            dict[str, list[Tensor]]: ``loss_cls`` and ``loss_bbox``, one entry per image.
        """
        losses = super().loss_by_feat(cls_scores, bbox_preds, batch_gt_instances,
                                      batch_img_metas, batch_gt_instances_ignore)
        losses['loss_bbox'] = [loss * self.loc_weight for loss in losses['loss_bbox']]
        return losses

    def mask_targets(self, shape: Sequence[int], batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None
                     ) -> Tuple[Tensor, Tensor, Tensor]:
        """Batch targets on a (H', W') grid covering the padded batch input.

        Args:
            shape (Sequence[int]): Grid size (H', W').
            batch_gt_instances (list[InstanceData]): Ground truth boxes.
            batch_img_metas (list[dict]): Meta information (``batch_input_shape``).
            batch_gt_instances_ignore (list[InstanceData], optional): Ignore boxes.

        Returns:
            tuple[Tensor, Tensor, Tensor]: labels, heights, valid, each (N, L, H', W').
        """
        targets = []
        for i, (gt, meta) in enumerate(zip(batch_gt_instances, batch_img_metas)):
            input_h = meta.get('batch_input_shape', meta.get('pad_shape', meta['img_shape']))[0]
            ignore = None
            if batch_gt_instances_ignore is not None and batch_gt_instances_ignore[i] is not None:
                ignore = batch_gt_instances_ignore[i].get('bboxes', None)
            targets.append(self.mask_target(gt.bboxes, shape, input_h / shape[0], ignore))
        return tuple(torch.stack(t) for t in zip(*targets))

    def loss_mask_by_feat(self, mask_logits: Union[Tensor, Sequence[Tensor]],
                          batch_gt_instances: InstanceList, batch_img_metas: List[dict],
                          batch_gt_instances_ignore: OptInstanceList = None) -> Tensor:
        """Mask loss for GDFL (one tensor) or CA-GDFL (one tensor per detection layer).

        Args:
            mask_logits (Tensor | Sequence[Tensor]): (N, S_c + 1, H', W') or per layer
                (N, 2, H'_j, W'_j).
            batch_gt_instances (list[InstanceData]): Ground truth boxes.
            batch_img_metas (list[dict]): Meta information.
            batch_gt_instances_ignore (list[InstanceData], optional): Ignore boxes.

        Returns:
            Tensor: Scalar ``L_mask`` (summed over layers for CA-GDFL).
        """
        single = isinstance(mask_logits, Tensor)
        logits_list = [mask_logits] if single else list(mask_logits)
        if len(logits_list) != self.mask_target.num_maps:
            raise ValueError(f'{len(logits_list)} mask logit maps but the mask target makes '
                             f'{self.mask_target.num_maps} (one per height range)')
        cache: Dict[Tuple[int, int], Tuple[Tensor, Tensor, Tensor]] = {}
        total = logits_list[0].new_zeros(())
        for j, logits in enumerate(logits_list):
            if logits.shape[1] != self.mask_target.num_classes:
                raise ValueError(f'mask logits have {logits.shape[1]} channels, the targets '
                                 f'{self.mask_target.num_classes} classes')
            shape = tuple(logits.shape[-2:])
            if shape not in cache:
                cache[shape] = self.mask_targets(shape, batch_gt_instances, batch_img_metas,
                                                 batch_gt_instances_ignore)
            labels, heights, valid = cache[shape]
            total = total + self.loss_mask(logits, labels[:, j], heights[:, j], valid[:, j])
        return total

    def loss(self, x: Tuple[Tensor], batch_data_samples: list,
             mask_logits: Optional[Union[Tensor, Sequence[Tensor]]] = None) -> dict:
        """Detection losses, plus ``loss_mask`` when mask logits are given.

        Args:
            x (tuple[Tensor]): Detection features, level l (N, C_l, H_l, W_l).
            batch_data_samples (list[DetDataSample]): Samples with ``gt_instances`` (and
                ``ignored_instances``).
            mask_logits (Tensor | Sequence[Tensor], optional): Neck mask logits.

        Returns:
            dict: ``loss_cls``, ``loss_bbox`` (lists per image) and optionally ``loss_mask``.
        """
        outs = self(x)
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        losses = self.loss_by_feat(*outs, batch_gt_instances, batch_img_metas,
                                   batch_gt_instances_ignore)
        if mask_logits is not None:
            losses['loss_mask'] = self.loss_mask_by_feat(
                mask_logits, batch_gt_instances, batch_img_metas, batch_gt_instances_ignore)
        return losses
