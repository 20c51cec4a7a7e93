# Copyright (c) mmped contributors. All rights reserved.
"""Two-stream (RGB + thermal) Faster R-CNN of DCRL-PDN, also the RGB-only DCRD-PDN student."""
import copy
from typing import Optional, Sequence, Tuple

import torch
from mmcv.ops import batched_nms
from mmdet.models.detectors import BaseDetector
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import DetDataSample, SampleList
from mmdet.utils import ConfigType, InstanceList, OptConfigType, OptMultiConfig
from mmengine.config import ConfigDict
from mmengine.model import ModuleList
from mmengine.structures import InstanceData
from torch import Tensor

from mmped.registry import MODELS


def _scaled(loss, scale: float):
    """``loss`` (a tensor or a list of per-level tensors) times ``scale``."""
    if scale == 1.0:
        return loss
    if isinstance(loss, (list, tuple)):
        return [v * scale for v in loss]
    return loss * scale


@MODELS.register_module()
class MultispectralFasterRCNN(BaseDetector):
    """Faster R-CNN with one branch per modality (DCRL-PDN, Liu et al. TCSVT 2021, Fig. 1).

    - ``backbone`` (e.g. :class:`mmped.models.backbones.TwoStreamVGG`) maps the stacked input
      (N, sum(C_m), H, W) to a tuple of ``M`` conv5 maps and exposes ``num_modalities``;
    - region proposal generation: one RPN head per modality (built from ``rpn_head``), each
      trained on its own outputs; with ``rpn_loss_reduction='mean'`` (default) the branches'
      RPN losses are averaged, so the region-proposal stage enters the total loss once as in
      Eq. (1) (``'sum'`` gives every branch's RPN loss full weight, doubling the stage's weight
      with two modalities); the proposals of all branches are merged per image (NMS with
      the proposal config's ``nms`` and ``max_per_img``) so that every branch's RoI head
      scores the same RoIs, which the fusion needs (the paper does not say how the branches'
      proposals are combined; this is our choice);
    - ``feature_fusion='concat'``: the modalities' conv5 maps are concatenated into one map
      with one RPN and one RoI head on it (no MAF) -- the "w/o CFL" teacher of Fig. 6, whose
      features the paper says are "simply concatenated" (halfway fusion);
    - ``rpn_seg_head`` (optional, :class:`mmped.models.dense_heads.BoxMaskSegHead`): the
      region-proposal-stage segmentation task, a 1x1 conv on the concatenated conv5 maps
      (Eq. (8)); ``None`` switches it off (Table VI);
    - ``roi_head``: :class:`mmped.models.roi_heads.MultispectralRoIHead` (per-modality box
      heads, modality-attention fusion, RoI segmentation task).

    With a one-modality backbone (``TwoStreamVGG(in_channels=(3, ), cfl=None)``) this is the
    RGB-only Faster R-CNN with segmentation tasks of the DCRD-PDN student.

    Args:
        backbone (dict): Backbone config.
        rpn_head (dict): RPN head config (built once per modality).
        roi_head (dict): RoI head config; ``num_branches`` is set to ``M``.
        rpn_seg_head (dict, optional): RPN-stage segmentation head config.
        modality_names (Sequence[str], optional): Names used as loss-key suffixes of the
            per-branch RPN losses. Defaults to ``('visible', 'lwir')`` for two modalities; a
            single branch has no suffix (plain mmdet keys).
        rpn_loss_reduction (str): ``'mean'`` (Eq. (1)) or ``'sum'`` over the branches' RPN
            losses. Defaults to ``'mean'``.
        feature_fusion (str): ``'branches'`` (one branch per modality, fused by the RoI
            head's fusion) or ``'concat'`` (one branch on the concatenated maps). Defaults to
            ``'branches'``.
        train_cfg (dict, optional): ``rpn``, ``rpn_proposal`` and ``rcnn`` as in mmdet.
        test_cfg (dict, optional): ``rpn`` and ``rcnn`` as in mmdet.
        data_preprocessor (dict, optional): e.g.
            :class:`mmped.models.data_preprocessors.MultiModalDetDataPreprocessor`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 rpn_head: ConfigType,
                 roi_head: ConfigType,
                 rpn_seg_head: OptConfigType = None,
                 modality_names: Optional[Sequence[str]] = None,
                 rpn_loss_reduction: str = 'mean',
                 feature_fusion: str = 'branches',
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if rpn_loss_reduction not in ('mean', 'sum'):
            raise ValueError(f"rpn_loss_reduction must be 'mean' or 'sum', got "
                             f'{rpn_loss_reduction!r}')
        if feature_fusion not in ('branches', 'concat'):
            raise ValueError(f"feature_fusion must be 'branches' or 'concat', got "
                             f'{feature_fusion!r}')
        self.rpn_loss_reduction = rpn_loss_reduction
        self.feature_fusion = feature_fusion
        self.backbone = MODELS.build(backbone)
        self.num_modalities = int(getattr(self.backbone, 'num_modalities', 1))
        #: detection branches: one per modality, or one on the concatenated maps
        self.num_branches = 1 if feature_fusion == 'concat' else self.num_modalities
        if modality_names is None:
            modality_names = ('visible', 'lwir') if self.num_branches == 2 else tuple(
                f'm{i}' for i in range(self.num_branches))
        if len(modality_names) != self.num_branches:
            raise ValueError(f'{len(modality_names)} modality names for '
                             f'{self.num_branches} branches')
        self.modality_names = tuple(modality_names)
        train_cfg = ConfigDict(train_cfg) if isinstance(train_cfg, dict) else train_cfg
        test_cfg = ConfigDict(test_cfg) if isinstance(test_cfg, dict) else test_cfg
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg

        rpn_cfg = copy.deepcopy(rpn_head)
        rpn_cfg.update(
            train_cfg=train_cfg.get('rpn') if train_cfg is not None else None,
            test_cfg=test_cfg.get('rpn') if test_cfg is not None else None)
        # mmengine's ModuleList: init_weights reaches the heads' init_cfg
        self.rpn_heads = ModuleList(
            MODELS.build(copy.deepcopy(rpn_cfg)) for _ in range(self.num_branches))
        roi_cfg = copy.deepcopy(roi_head)
        roi_cfg.update(
            num_branches=self.num_branches,
            train_cfg=train_cfg.get('rcnn') if train_cfg is not None else None,
            test_cfg=test_cfg.get('rcnn') if test_cfg is not None else None)
        self.roi_head = MODELS.build(roi_cfg)
        self.rpn_seg_head = MODELS.build(rpn_seg_head) if rpn_seg_head is not None else None

    @property
    def with_rpn_seg(self) -> bool:
        """Whether the RPN-stage segmentation task is on."""
        return self.rpn_seg_head is not None

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor, ...]:
        """Conv5 maps of the detection branches.

        Args:
            batch_inputs (Tensor): Shape (N, sum(C_m), H, W).

        Returns:
            tuple[Tensor]: ``M`` per-modality maps of shape (N, C, H / 16, W / 16), or one
            (N, M * C, H / 16, W / 16) map with ``feature_fusion='concat'``.
        """
        feats = self.backbone(batch_inputs)
        if isinstance(feats, Tensor):
            feats = (feats, )
        if self.feature_fusion == 'concat':
            return (torch.cat(tuple(feats), dim=1), )
        return tuple(feats)

    def _loss_key(self, key: str, m: int) -> str:
        if 'loss' in key and 'rpn' not in key:
            key = f'rpn_{key}'
        return key if self.num_branches == 1 else f'{key}_{self.modality_names[m]}'

    @staticmethod
    def rpn_data_samples(batch_data_samples: SampleList) -> SampleList:
        """Copies of the data samples with every gt label set to 0 (class-agnostic RPN)."""
        samples = copy.deepcopy(batch_data_samples)
        for sample in samples:
            sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
        return samples

    def merge_proposals(self, branch_results: Sequence[InstanceList],
                        cfg: ConfigType) -> InstanceList:
        """Merge the proposals of the modality branches per image.

        Args:
            branch_results (Sequence[list[InstanceData]]): Per branch, per image proposals with
                ``bboxes`` (P, 4), ``scores`` (P, ) and ``labels`` (P, ).
            cfg (dict): Proposal config with ``nms`` and ``max_per_img``.

        Returns:
            list[InstanceData]: Merged proposals per image (at most ``max_per_img``).
        """
        if len(branch_results) == 1:
            return list(branch_results[0])
        merged = []
        for per_image in zip(*branch_results):
            results = InstanceData.cat(list(per_image))
            if len(results) == 0:
                merged.append(results)
                continue
            _, keep = batched_nms(results.bboxes, results.scores,
                                  torch.zeros_like(results.labels), cfg['nms'])
            merged.append(results[keep[:cfg['max_per_img']]])
        return merged

    def _proposal_cfg(self) -> ConfigType:
        return self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)

    def rpn_loss_and_predict(self, x: Sequence[Tensor], batch_data_samples: SampleList
                             ) -> Tuple[dict, InstanceList]:
        """Per-branch RPN losses and merged proposals.

        Args:
            x (Sequence[Tensor]): ``M`` conv5 maps.
            batch_data_samples (list[DetDataSample]): Ground truth.

        Returns:
            tuple[dict, list[InstanceData]]: Losses and merged proposals per image.
        """
        proposal_cfg = self._proposal_cfg()
        rpn_samples = self.rpn_data_samples(batch_data_samples)
        losses, branch_results = dict(), []
        scale = 1.0 / len(x) if self.rpn_loss_reduction == 'mean' else 1.0
        for m, (head, feat) in enumerate(zip(self.rpn_heads, x)):
            branch_losses, results = head.loss_and_predict(
                (feat, ), rpn_samples, proposal_cfg=proposal_cfg)
            losses.update({self._loss_key(k, m): _scaled(v, scale)
                           for k, v in branch_losses.items()})
            branch_results.append(results)
        return losses, self.merge_proposals(branch_results, proposal_cfg)

    def rpn_seg_targets(self, seg_logits: Tensor, batch_data_samples: SampleList) -> Tensor:
        """Box-mask targets of shape (N, h, w) for RPN-stage ``seg_logits`` (N, 2, h, w)."""
        batch_gt_instances, batch_gt_instances_ignore, metas = unpack_gt_instances(
            batch_data_samples)
        stride = metas[0]['batch_input_shape'][1] / seg_logits.shape[-1]
        return self.rpn_seg_head.get_targets(batch_gt_instances, seg_logits.shape[-2:], stride,
                                             batch_gt_instances_ignore)

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Losses of both stages (Eq. (1)).

        Args:
            batch_inputs (Tensor): Shape (N, sum(C_m), H, W).
            batch_data_samples (list[DetDataSample]): Ground truth.

        Returns:
            dict[str, Tensor]: RPN losses per branch, ``loss_rpn_seg``, RoI losses and
            ``loss_roi_seg``.
        """
        x = self.extract_feat(batch_inputs)
        losses, rpn_results_list = self.rpn_loss_and_predict(x, batch_data_samples)
        if self.with_rpn_seg:
            seg_logits = self.rpn_seg_head(torch.cat(x, dim=1))
            losses['loss_rpn_seg'] = self.rpn_seg_head.loss_by_feat(
                seg_logits, self.rpn_seg_targets(seg_logits, batch_data_samples))
        losses.update(self.roi_head.loss(x, rpn_results_list, batch_data_samples))
        return losses

    def rpn_predict(self, x: Sequence[Tensor], batch_data_samples: SampleList) -> InstanceList:
        """Merged test-time proposals of all branches (in the network input frame)."""
        branch_results = [
            head.predict((feat, ), batch_data_samples, rescale=False)
            for head, feat in zip(self.rpn_heads, x)
        ]
        return self.merge_proposals(branch_results, self.test_cfg.rpn)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detect pedestrians.

        Args:
            batch_inputs (Tensor): Shape (N, sum(C_m), H, W).
            batch_data_samples (list[DetDataSample]): Meta information.
            rescale (bool): Map boxes back to the original image size. Defaults to True.

        Returns:
            list[DetDataSample]: ``pred_instances`` with ``bboxes``, ``scores``, ``labels``.
        """
        x = self.extract_feat(batch_inputs)
        rpn_results_list = self.rpn_predict(x, batch_data_samples)
        results_list = self.roi_head.predict(
            x, rpn_results_list, batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: Optional[SampleList] = None) -> tuple:
        """Raw outputs (for FLOPs counting / export).

        Returns:
            tuple: Per-branch RPN outputs, the fused RoI ``cls_score`` and ``bbox_pred`` on the
            merged proposals and, when on, the RPN-stage segmentation logits.
        """
        x = self.extract_feat(batch_inputs)
        rpn_outs = tuple(head((feat, )) for head, feat in zip(self.rpn_heads, x))
        if batch_data_samples is None:
            metas = [dict(img_shape=batch_inputs.shape[-2:],
                          batch_input_shape=batch_inputs.shape[-2:])
                     for _ in range(batch_inputs.shape[0])]
            batch_data_samples = [DetDataSample(metainfo=meta) for meta in metas]
        rpn_results_list = self.rpn_predict(x, batch_data_samples)
        roi_outs = self.roi_head.forward(x, rpn_results_list, batch_data_samples)
        outs = rpn_outs + roi_outs
        if self.with_rpn_seg:
            outs = outs + (self.rpn_seg_head(torch.cat(x, dim=1)), )
        return outs


@MODELS.register_module()
class SegAuxFasterRCNN(MultispectralFasterRCNN):
    """RGB-only Faster R-CNN with the segmentation tasks of both stages (DCRD-PDN student).

    :class:`MultispectralFasterRCNN` restricted to a one-stream backbone (e.g.
    :class:`mmped.models.backbones.VGG16Stream`) and a one-branch RoI head
    (:class:`mmped.models.roi_heads.SegAuxRoIHead`); same parameters and checkpoint keys.

    Args:
        **kwargs: :class:`MultispectralFasterRCNN` arguments.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.num_modalities != 1:
            raise ValueError(f'{type(self).__name__} needs a one-stream backbone, got '
                             f'{self.num_modalities} modalities')
