# Copyright (c) mmped contributors. All rights reserved.
"""Task-joint person-search detector: the OIM-style baseline and BUFF (Yang et al., MM 2020)."""
import copy
from typing import List, Optional, Sequence, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.structures import InstanceData
from torch import Tensor

from mmped.registry import MODELS
from mmped.utils.dist_env import exclude_replicated_buffers

# ImageNet ResNet-50 checkpoint prefixes -> the modules that start from them
_TRUNK_PREFIXES = ('conv1.', 'bn1.', 'layer1.', 'layer2.', 'layer3.')
# first block of each stage = transform layer T2 / T3 / T4 (BUFF sec. 5.2)
_TRANSFORM_SOURCES = {2: 'layer1.0.', 3: 'layer2.0.', 4: 'layer3.0.'}


@MODELS.register_module()
class PersonSearchRCNN(TwoStageDetector):
    """Faster R-CNN with a re-ID stream for joint detection and re-identification.

    Backbone: an mmdet ``ResNet`` with stages conv2..conv4 (``num_stages=3``,
    ``out_indices=(0, 1, 2)``); its stem output (conv1 after BN + ReLU, stride 2) is taken as
    the conv1 level, so the model sees four levels conv1..conv4 (strides 2, 4, 8, 16). The RPN
    and the detection RoI head use conv4. The re-ID stream:

    * baseline: RoI features of conv4 (``reid_roi_extractor.levels=(4, )``) -> conv5 + GAP;
    * BUFF: ``fg_attention`` (a :class:`ForegroundAttention`) segments conv3, FAM
      (``X + X * a``) is applied to ``fam_levels``, and a :class:`BottomUpFusionRoIExtractor`
      fuses the RoI features of its levels. ``L = L_det + L_seg + lambda * L_oim`` with
      ``lambda`` the OIM ``loss_weight`` (0.5).

    Test mode: ``pred_instances`` gets ``bboxes`` / ``scores`` / ``labels`` / ``reid_feats``
    (L2-normalised); images holding queries (``metainfo['queries']``) also get ``query_feats``
    (Q, D), the features of the query boxes. With ``test_cfg.use_gt_boxes=True`` the gallery
    "detections" are the ground-truth boxes (score 1): the "labelled" setting of the paper; as in
    mmdet, test-time ``gt_instances`` are expected in original-image pixels (annotations loaded
    after ``Resize``).

    Args:
        backbone (dict): mmdet ResNet config (conv1..conv4).
        rpn_head (dict): RPN head config.
        roi_head (dict): :class:`PersonSearchRoIHead` config.
        train_cfg (dict): ``rpn``, ``rpn_proposal``, ``rcnn`` settings.
        test_cfg (dict): ``rpn``, ``rcnn`` settings and ``use_gt_boxes``.
        fg_attention (dict, optional): :class:`ForegroundAttention` config (None = no FAM).
        seg_level (int): Level segmented by ``fg_attention`` (conv3). Defaults to 3.
        fam_levels (Sequence[int]): Levels passed through FAM. Defaults to (1, 2, 3, 4).
        pretrained_trunk (str, optional): An ImageNet ResNet-50 checkpoint (torchvision key
            names) used to initialise conv1..conv4, the re-ID conv5 (``layer4``) and the BUF
            transforms (first blocks of ``layer1..3``). Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 rpn_head: dict,
                 roi_head: dict,
                 train_cfg: dict,
                 test_cfg: dict,
                 fg_attention: Optional[dict] = None,
                 seg_level: int = 3,
                 fam_levels: Sequence[int] = (1, 2, 3, 4),
                 pretrained_trunk: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, rpn_head=rpn_head, roi_head=roi_head,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        for name in ('conv1', 'maxpool', 'res_layers'):
            if not hasattr(self.backbone, name):
                raise TypeError(f'PersonSearchRCNN needs an mmdet ResNet backbone (no {name})')
        if len(self.backbone.res_layers) != 3:
            raise ValueError('the backbone must have the 3 stages conv2..conv4 (num_stages=3)')
        self.fg_attention = MODELS.build(fg_attention) if fg_attention else None
        self.seg_level = seg_level
        self.fam_levels = tuple(fam_levels)
        self.pretrained_trunk = pretrained_trunk
        exclude_replicated_buffers(self)  # OIM memories: identical on every rank already

    # ----------------------------------------------------------------- features
    def extract_levels(self, batch_inputs: Tensor) -> List[Tensor]:
        """The four level maps conv1..conv4, (B, C_l, H / s_l, W / s_l), s = 2, 4, 8, 16."""
        bb = self.backbone
        if getattr(bb, 'deep_stem', False):
            x = bb.stem(batch_inputs)
        else:
            x = bb.relu(bb.norm1(bb.conv1(batch_inputs)))
        levels = [x]
        x = bb.maxpool(x)
        for name in bb.res_layers:
            x = getattr(bb, name)(x)
            levels.append(x)
        return levels

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """Detection features: ``(conv4, )``."""
        return (self.extract_levels(batch_inputs)[-1], )

    def _reid_inputs(self, levels: List[Tensor],
                     batch_data_samples: Optional[SampleList] = None) -> Tuple[list, dict]:
        """Apply FAM (and compute the segmentation loss when samples are given)."""
        if self.fg_attention is None:
            return levels, {}
        logits = self.fg_attention.seg_logits(levels[self.seg_level - 1])
        losses = {}
        if batch_data_samples is not None:
            gts = [get_box_tensor(s.gt_instances.bboxes) for s in batch_data_samples]
            losses = self.fg_attention.loss(logits, gts)
        reid_x = list(levels)
        idx = [lv - 1 for lv in self.fam_levels]
        attended = self.fg_attention.attend([levels[i] for i in idx], logits.sigmoid())
        for i, feat in zip(idx, attended):
            reid_x[i] = feat
        return reid_x, losses

    # ----------------------------------------------------------------- training
    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """RPN, detection, segmentation and OIM losses.

        Args:
            batch_inputs (Tensor): Images (B, 3, H, W).
            batch_data_samples (list[DetDataSample]): With ``gt_instances.bboxes`` and
                ``gt_instances.person_ids``.

        Returns:
            dict[str, Tensor]: Loss components.
        """
        levels = self.extract_levels(batch_inputs)
        det_x = (levels[-1], )
        reid_x, losses = self._reid_inputs(levels, batch_data_samples)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for sample in rpn_data_samples:
            sample.gt_instances.labels = torch.zeros_like(sample.gt_instances.labels)
        rpn_losses, rpn_results_list = self.rpn_head.loss_and_predict(
            det_x, rpn_data_samples, proposal_cfg=proposal_cfg)
        for key in list(rpn_losses):
            if 'loss' in key and 'rpn' not in key:
                rpn_losses[f'rpn_{key}'] = rpn_losses.pop(key)
        losses.update(rpn_losses)
        losses.update(self.roi_head.loss(det_x, reid_x, rpn_results_list, batch_data_samples))
        return losses

    # ----------------------------------------------------------------- inference
    @staticmethod
    def _queries_to_input(meta: dict, device) -> Tensor:
        """Query boxes (original pixels) -> network-input pixels (resize, then flip)."""
        queries = meta.get('queries') or []
        boxes = torch.tensor([q['bbox'] for q in queries], dtype=torch.float32,
                             device=device).reshape(-1, 4)
        sx, sy = meta.get('scale_factor', (1.0, 1.0))
        boxes = boxes * boxes.new_tensor([sx, sy, sx, sy])
        if meta.get('flip') and meta.get('flip_direction', 'horizontal') == 'horizontal':
            width = meta['img_shape'][1]
            boxes = torch.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0],
                                 boxes[:, 3]], dim=1)
        return boxes

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detect people, embed detections and queries.

        Args:
            batch_inputs (Tensor): Images (B, 3, H, W).
            batch_data_samples (list[DetDataSample]): Test samples (``queries`` in metainfo
                for query images; ``gt_instances`` when ``test_cfg.use_gt_boxes``).
            rescale (bool): Return boxes in original-image pixels. Defaults to True.

        Returns:
            list[DetDataSample]: With ``pred_instances`` (``bboxes`` (N, 4), ``scores`` (N, ),
            ``labels`` (N, ), ``reid_feats`` (N, D)) and ``query_feats`` (Q, D) where queries.
        """
        levels = self.extract_levels(batch_inputs)
        det_x = (levels[-1], )
        reid_x, _ = self._reid_inputs(levels)
        metas = [s.metainfo for s in batch_data_samples]
        if self.test_cfg.get('use_gt_boxes', False):
            results = []
            for s, meta in zip(batch_data_samples, metas):
                # test pipelines load annotations after Resize: boxes in original pixels
                sx, sy = meta.get('scale_factor', (1.0, 1.0))
                boxes = get_box_tensor(s.gt_instances.bboxes).float()
                boxes = boxes * boxes.new_tensor([sx, sy, sx, sy])
                results.append(InstanceData(
                    bboxes=boxes, scores=boxes.new_ones(len(boxes)),
                    labels=torch.zeros(len(boxes), dtype=torch.long, device=boxes.device)))
        else:
            rpn_results_list = self.rpn_head.predict(det_x, batch_data_samples, rescale=False)
            results = self.roi_head.predict_boxes(det_x, metas, rpn_results_list)
        feats = self.roi_head.extract_reid(reid_x, [r.bboxes for r in results])
        query_boxes = [self._queries_to_input(m, batch_inputs.device) for m in metas]
        query_feats = self.roi_head.extract_reid(reid_x, query_boxes) if any(
            len(b) for b in query_boxes) else [None] * len(metas)
        for sample, res, feat, qfeat, meta in zip(batch_data_samples, results, feats,
                                                 query_feats, metas):
            res.reid_feats = feat
            if rescale and 'scale_factor' in meta:
                sx, sy = meta['scale_factor']
                res.bboxes = res.bboxes / res.bboxes.new_tensor([sx, sy, sx, sy])
            sample.pred_instances = res
            if meta.get('queries'):
                sample.query_feats = qfeat
        return batch_data_samples

    # ----------------------------------------------------------------- weights
    def init_weights(self) -> None:
        """Default initialisation, then the ImageNet trunk when ``pretrained_trunk`` is set."""
        super().init_weights()
        if not self.pretrained_trunk:
            return
        ckpt = CheckpointLoader.load_checkpoint(self.pretrained_trunk, map_location='cpu')
        state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
        state = {k[len('backbone.'):] if k.startswith('backbone.') else k: v
                 for k, v in state.items()}

        def sub(prefix: str) -> dict:
            return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}

        trunk = {k: v for k, v in state.items() if k.startswith(_TRUNK_PREFIXES)}
        report = [self.backbone.load_state_dict(trunk, strict=False)]
        report.append(self.roi_head.reid_head.conv5.load_state_dict(sub('layer4.')))
        extractor = self.roi_head.reid_roi_extractor
        for name, module in getattr(extractor, 'transforms', {}).items():
            source = sub(_TRANSFORM_SOURCES.get(int(name[1:]), '-'))
            shapes_match = source and all(
                k in source and source[k].shape == v.shape
                for k, v in module.state_dict().items() if 'num_batches' not in k)
            if shapes_match:
                module.load_state_dict(source, strict=False)
        MMLogger.get_current_instance().info(
            f'loaded ImageNet trunk {self.pretrained_trunk}: backbone missing keys '
            f'{report[0].missing_keys}')
