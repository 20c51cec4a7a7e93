# Copyright (c) mmped contributors. All rights reserved.
"""RoI head of the person-search models: detection branch + re-ID branch."""
from typing import List, Sequence, Tuple

import torch
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmengine.structures import InstanceData
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class PersonSearchRoIHead(StandardRoIHead):
    """Detection head on conv4 RoI features plus a separate re-ID stream.

    The detection branch is mmdet's standard one (assign, sample, RoI pool on the detection
    features, ``bbox_head``). The re-ID branch pools the **positive** sampled RoIs (ground truth
    included when the sampler adds it) from the re-ID features with ``reid_roi_extractor``
    (a :class:`BottomUpFusionRoIExtractor`; ``levels=(4, )`` for the baseline) and trains
    ``reid_head`` with OIM; every positive RoI takes the person id of the ground-truth box it is
    assigned to (``gt_instances.person_ids``, -1 = unlabelled -> OIM queue).

    Args:
        reid_roi_extractor (dict): Config of the re-ID RoI extractor.
        reid_head (dict): Config of the re-ID head (:class:`PersonSearchReIDHead`).
        **kwargs: :class:`mmdet.models.roi_heads.StandardRoIHead` arguments.

    Raises:
        ValueError: When the extractor's ``out_channels`` differ from the re-ID head's
            ``in_channels`` (checked at build time, not at the first forward pass).
    """

    def __init__(self, reid_roi_extractor: dict, reid_head: dict, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reid_roi_extractor = MODELS.build(reid_roi_extractor)
        self.reid_head = MODELS.build(reid_head)
        out_ch = getattr(self.reid_roi_extractor, 'out_channels', None)
        in_ch = getattr(self.reid_head, 'in_channels', None)
        if out_ch is not None and in_ch is not None and out_ch != in_ch:
            levels = getattr(self.reid_roi_extractor, 'levels', None)
            raise ValueError(
                f'reid_roi_extractor (levels={levels}) outputs {out_ch}-channel RoI features '
                f'but reid_head.in_channels={in_ch}: set reid_head.in_channels={out_ch} or '
                f'reid_roi_extractor.out_level to the level with {in_ch} channels')

    def loss(self, det_x: Tuple[Tensor], reid_x: Sequence[Tensor], rpn_results_list: List,
             batch_data_samples: SampleList) -> dict:
        """Detection and OIM losses.

        Args:
            det_x (tuple[Tensor]): Detection features (conv4), each (B, C, H, W).
            reid_x (Sequence[Tensor]): Re-ID level maps conv1..conv4 (after FAM where used).
            rpn_results_list (list[InstanceData]): Proposals per image.
            batch_data_samples (list[DetDataSample]): With ``gt_instances.person_ids``.

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_bbox``, ``acc`` and ``loss_oim``.
        """
        batch_gt_instances, batch_gt_instances_ignore, _ = unpack_gt_instances(
            batch_data_samples)
        sampling_results = []
        for i, rpn_results in enumerate(rpn_results_list):
            rpn_results.priors = rpn_results.pop('bboxes')
            assign_result = self.bbox_assigner.assign(rpn_results, batch_gt_instances[i],
                                                      batch_gt_instances_ignore[i])
            sampling_results.append(
                self.bbox_sampler.sample(assign_result, rpn_results, batch_gt_instances[i],
                                         feats=[lvl[i][None] for lvl in det_x]))
        losses = dict()
        losses.update(self.bbox_loss(det_x, sampling_results)['loss_bbox'])
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        ids = []
        for res, gt in zip(sampling_results, batch_gt_instances):
            if 'person_ids' not in gt:
                raise KeyError('gt_instances.person_ids missing: use LoadPersonSearchAnnotations '
                               'and PackPersonSearchInputs in the pipeline')
            ids.append(gt.person_ids.to(pos_rois.device).long()[res.pos_assigned_gt_inds])
        person_ids = torch.cat(ids) if ids else pos_rois.new_zeros(0, dtype=torch.long)
        if pos_rois.shape[0] == 0:
            # no person in the batch: no re-ID signal, but every parameter stays in the graph
            # and the OIM loss still joins the cross-rank gather of its memory update
            oim = self.reid_head.loss_reid
            dummy = sum(p.sum() for m in (self.reid_head, self.reid_roi_extractor)
                        for p in m.parameters()) * 0.0
            losses['loss_oim'] = oim(pos_rois.new_zeros((0, oim.num_features)),
                                     person_ids) + dummy
            return losses
        reid_feats = self.reid_roi_extractor(reid_x, pos_rois)
        losses.update(self.reid_head.loss(reid_feats, person_ids))
        return losses

    def extract_reid(self, reid_x: Sequence[Tensor], boxes: List[Tensor]) -> List[Tensor]:
        """L2-normalised re-ID features of given boxes.

        Args:
            reid_x (Sequence[Tensor]): Re-ID level maps conv1..conv4.
            boxes (list[Tensor]): Per image boxes (N_i, 4) in network-input pixels.

        Returns:
            list[Tensor]: Per image features (N_i, D).
        """
        rois = bbox2roi(boxes)
        if rois.shape[0] == 0:
            dim = self.reid_head.out_channels
            return [rois.new_zeros((0, dim)) for _ in boxes]
        feats = self.reid_head(self.reid_roi_extractor(reid_x, rois))
        return list(feats.split([len(b) for b in boxes]))

    def predict_boxes(self, det_x: Tuple[Tensor], batch_img_metas: List[dict],
                      rpn_results_list: List) -> List[InstanceData]:
        """Detections in network-input pixels (``bboxes``, ``scores``, ``labels``)."""
        return self.predict_bbox(det_x, batch_img_metas, rpn_results_list,
                                 rcnn_test_cfg=self.test_cfg, rescale=False)
