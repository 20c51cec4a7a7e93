# Copyright (c) mmped contributors. All rights reserved.
"""RoI head of DCRL-PDN: one box head per modality, fused, plus a RoI segmentation task."""
import copy
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, InstanceList
from mmengine.model import ModuleList
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class MultispectralRoIHead(StandardRoIHead):
    """Region detection refinement stage of DCRL-PDN (teacher) and DCRD-PDN (student).

    ``x`` is the tuple of the ``M`` per-modality conv5 maps. The same RoIs are pooled from each
    modality's map (one parameter-free ``bbox_roi_extractor``), each modality has its own box head
    (``bbox_heads[m]``, built from one ``bbox_head`` config), and the branch classification
    logits and box deltas are fused with per-image weights ``mu`` from ``fusion``
    (:class:`mmped.models.layers.ModalityAttentionFusion`, Eq. (12)-(13)). The loss of the stage
    is computed on the fused outputs (the fusion is differentiable, so both branches and the
    fusion MLP are trained end to end). Fusing *logits* (not softmax probabilities) is our
    choice: the paper fuses "classification scores"; fused logits keep the standard
    cross-entropy and postprocessing of mmdet's box head.

    The optional ``seg_head`` (:class:`mmped.models.dense_heads.BoxMaskSegHead`) is a 1x1 conv
    on the concatenated pooled features of all modalities (``M * C`` channels), supervised by
    per-RoI box masks on every sampled RoI (Eq. (9), ``J`` = all RoIs); ``seg_head=None`` is the
    "no RDR segmentation" setting of Table VI.

    With ``num_branches=1`` it is the RoI head of the RGB-only student.

    Args:
        bbox_roi_extractor (dict): RoI extractor config (single level).
        bbox_head (dict): Box head config, built once per modality.
        num_branches (int): Number of modalities ``M``. Defaults to 2.
        fusion (dict, optional): Fusion config; ``in_channels`` / ``num_modalities`` must match.
            Needed when ``num_branches > 1``.
        seg_head (dict, optional): RoI segmentation head config.
        seg_mask_stride (float): Resolution (image pixels per cell) of the image masks
            resampled into RoI targets. Defaults to 4.
        train_cfg, test_cfg, init_cfg: As in :class:`mmdet.models.roi_heads.StandardRoIHead`.
    """

    def __init__(self,
                 bbox_roi_extractor: ConfigType,
                 bbox_head: ConfigType,
                 num_branches: int = 2,
                 fusion: Optional[ConfigType] = None,
                 seg_head: Optional[ConfigType] = None,
                 seg_mask_stride: float = 4.0,
                 train_cfg: Optional[ConfigType] = None,
                 test_cfg: Optional[ConfigType] = None,
                 init_cfg: Optional[ConfigType] = None) -> None:
        if num_branches < 1:
            raise ValueError(f'num_branches must be >= 1, got {num_branches}')
        if num_branches > 1 and fusion is None:
            raise ValueError('a fusion config is needed with more than one branch')
        object.__setattr__(self, '_num_branches', num_branches)
        super().__init__(
            bbox_roi_extractor=bbox_roi_extractor,
            bbox_head=bbox_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            init_cfg=init_cfg)
        self.num_branches = num_branches
        self.fusion = MODELS.build(fusion) if fusion is not None and num_branches > 1 else None
        self.seg_head = MODELS.build(seg_head) if seg_head is not None else None
        self.seg_mask_stride = seg_mask_stride

    def init_bbox_head(self, bbox_roi_extractor: ConfigType, bbox_head: ConfigType) -> None:
        """Build the RoI extractor and one box head per modality."""
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_heads = ModuleList(
            MODELS.build(copy.deepcopy(bbox_head)) for _ in range(self._num_branches))

    @property
    def bbox_head(self) -> nn.Module:
        """The first branch's box head (targets, loss and postprocessing of fused outputs)."""
        return self.bbox_heads[0]

    @property
    def with_seg(self) -> bool:
        """Whether the RoI segmentation task is on."""
        return self.seg_head is not None

    def _bbox_forward(self, x: Sequence[Tensor], rois: Tensor) -> dict:
        """Box branches, fusion and RoI segmentation on the same RoIs.

        Args:
            x (Sequence[Tensor]): ``M`` conv5 maps of shape (N, C, H, W).
            rois (Tensor): Shape (R, 5), ``(batch_idx, x1, y1, x2, y2)``.

        Returns:
            dict: ``cls_score`` (R, K + 1) and ``bbox_pred`` (R, 4 or 4K), fused;
            ``branch_cls_scores`` (list of M); ``bbox_feats`` (R, M * C, h, w), the
            concatenated pooled features; ``seg_logits`` (R, 2, h, w) when the segmentation
            task is on.
        """
        if len(x) != self.num_branches:
            raise ValueError(f'RoI head with {self.num_branches} branches got {len(x)} maps')
        feats = [self.bbox_roi_extractor((x_m, ), rois) for x_m in x]
        outs = [head(f) for head, f in zip(self.bbox_heads, feats)]
        cls_scores = [o[0] for o in outs]
        bbox_preds = [o[1] for o in outs]
        if self.fusion is not None:
            weights = self.fusion(x)
            batch_inds = rois[:, 0].long()
            cls_score = self.fusion.fuse(cls_scores, weights, batch_inds)
            bbox_pred = self.fusion.fuse(bbox_preds, weights, batch_inds)
        else:
            cls_score, bbox_pred = cls_scores[0], bbox_preds[0]
        bbox_feats = torch.cat(feats, dim=1)
        results = dict(
            cls_score=cls_score,
            bbox_pred=bbox_pred,
            bbox_feats=bbox_feats,
            branch_cls_scores=cls_scores)
        if self.with_seg:
            results['seg_logits'] = self.seg_head(bbox_feats)
        return results

    def sample(self, x: Sequence[Tensor], rpn_results_list: InstanceList,
               batch_data_samples: SampleList) -> List[SamplingResult]:
        """Assign and sample proposals (as :meth:`StandardRoIHead.loss` does).

        Args:
            x (Sequence[Tensor]): ``M`` conv5 maps.
            rpn_results_list (list[InstanceData]): Proposals per image (``bboxes`` is renamed
                to ``priors`` in place, as in mmdet).
            batch_data_samples (list[DetDataSample]): Ground truth.

        Returns:
            list[SamplingResult]: One per image.
        """
        assert len(rpn_results_list) == len(batch_data_samples)
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(
            batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            if 'bboxes' in rpn_results:
                rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(
                    assign_result,
                    rpn_results,
                    batch_gt_instances[i],
                    feats=[lvl_feat[i][None] for lvl_feat in x]))
        return sampling_results

    def seg_targets(self, rois: Tensor, seg_logits: Tensor,
                    batch_data_samples: SampleList) -> Tensor:
        """Per-RoI box-mask targets of shape (R, h, w) for ``seg_logits`` (R, 2, h, w)."""
        batch_gt_instances, batch_gt_instances_ignore, metas = unpack_gt_instances(
            batch_data_samples)
        return self.seg_head.get_roi_targets(
            rois, batch_gt_instances, metas[0]['batch_input_shape'], seg_logits.shape[-2:],
            self.seg_mask_stride, batch_gt_instances_ignore)

    def loss(self, x: Sequence[Tensor], rpn_results_list: InstanceList,
             batch_data_samples: SampleList) -> dict:
        """Losses of the refinement stage (fused box losses, RoI segmentation loss).

        Args:
            x (Sequence[Tensor]): ``M`` conv5 maps of shape (N, C, H, W).
            rpn_results_list (list[InstanceData]): Proposals per image.
            batch_data_samples (list[DetDataSample]): Ground truth.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``, ``acc`` and, with the segmentation
            task, ``loss_roi_seg``.
        """
        sampling_results = self.sample(x, rpn_results_list, batch_data_samples)
        rois = bbox2roi([res.priors for res in sampling_results])
        results = self._bbox_forward(x, rois)
        losses = self.bbox_head.loss_and_target(
            cls_score=results['cls_score'],
            bbox_pred=results['bbox_pred'],
            rois=rois,
            sampling_results=sampling_results,
            rcnn_train_cfg=self.train_cfg)['loss_bbox']
        if self.with_seg:
            targets = self.seg_targets(rois, results['seg_logits'], batch_data_samples)
            losses['loss_roi_seg'] = self.seg_head.loss_by_feat(results['seg_logits'], targets)
        return losses


@MODELS.register_module()
class SegAuxRoIHead(MultispectralRoIHead):
    """One-branch RoI head with the RoI segmentation task: the RGB-only DCRD-PDN student's.

    :class:`MultispectralRoIHead` with one box head and no fusion (same parameters and keys).

    Args:
        **kwargs: :class:`MultispectralRoIHead` arguments; ``num_branches`` must be 1.
    """

    def __init__(self, num_branches: int = 1, fusion: Optional[ConfigType] = None,
                 **kwargs) -> None:
        if num_branches != 1 or fusion is not None:
            raise ValueError(f'{type(self).__name__} has one branch and no fusion, got '
                             f'num_branches={num_branches}, fusion={fusion}')
        super().__init__(num_branches=1, fusion=None, **kwargs)
