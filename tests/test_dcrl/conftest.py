# Copyright (c) mmped contributors. All rights reserved.
"""Tiny DCRL / DCRD models and data samples for the tests of this area."""
import copy
from typing import List, Optional

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

# stage widths of the tiny test VGG streams (the real ones are 64, 128, 256, 512, 512)
TINY_WIDTHS = (4, 8, 8, 16, 16)
C5 = TINY_WIDTHS[-1]


def tiny_model_cfg(num_modalities: int = 2, fusion_mode: str = 'attention',
                   rpn_seg: bool = True, roi_seg: bool = True,
                   cfl: Optional[dict] = None) -> dict:
    """A tiny two-stream (or one-stream) Faster R-CNN config for CPU tests."""
    if cfl is None and num_modalities > 1:
        cfl = dict(type='CrossModalFeatureLearning', alpha=0.5, groups=2)
    concat = C5 * num_modalities
    return dict(
        type='MultispectralFasterRCNN',
        data_preprocessor=dict(
            type='MultiModalDetDataPreprocessor',
            mean=[100.0] * (3 * num_modalities),
            std=[50.0] * (3 * num_modalities),
            modality_channels=(3, ) * num_modalities,
            pad_size_divisor=16),
        backbone=dict(
            type='TwoStreamVGG', in_channels=(3, ) * num_modalities, widths=TINY_WIDTHS,
            num_convs=(1, 1, 1, 1, 1), cfl=cfl),
        rpn_head=dict(
            type='RPNHead', in_channels=C5, feat_channels=C5,
            anchor_generator=dict(
                type='AnchorGenerator', scales=[1.0, 2.0], ratios=[2.44], strides=[16]),
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
        rpn_seg_head=dict(type='BoxMaskSegHead', in_channels=concat) if rpn_seg else None,
        roi_head=dict(
            type='MultispectralRoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=3, sampling_ratio=0),
                out_channels=C5, featmap_strides=[16]),
            bbox_head=dict(
                type='Shared2FCBBoxHead', in_channels=C5, fc_out_channels=16, roi_feat_size=3,
                num_classes=1,
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                    target_stds=[0.1, 0.1, 0.2, 0.2]),
                reg_class_agnostic=False,
                loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),
            fusion=dict(type='ModalityAttentionFusion', in_channels=C5,
                        num_modalities=num_modalities, mode=fusion_mode, pool_size=(1, 1),
                        hidden_channels=(8, )) if num_modalities > 1 else None,
            seg_head=dict(type='BoxMaskSegHead', in_channels=concat) if roi_seg else None),
        train_cfg=dict(
            rpn=dict(
                assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3,
                              min_pos_iou=0.3, ignore_iof_thr=-1),
                sampler=dict(type='RandomSampler', num=32, pos_fraction=0.5,
                             neg_pos_ub=-1, add_gt_as_proposals=False),
                allowed_border=-1, pos_weight=-1, debug=False),
            rpn_proposal=dict(nms_pre=200, max_per_img=50,
                              nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
            rcnn=dict(
                assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                              min_pos_iou=0.5, ignore_iof_thr=-1),
                sampler=dict(type='RandomSampler', num=16, pos_fraction=0.25, neg_pos_ub=-1,
                             add_gt_as_proposals=True),
                pos_weight=-1, debug=False)),
        test_cfg=dict(
            rpn=dict(nms_pre=200, max_per_img=30, nms=dict(type='nms', iou_threshold=0.7),
                     min_bbox_size=0),
            rcnn=dict(score_thr=0.0, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=20)))


def tiny_student_cfg(teacher: dict, **distill) -> dict:
    """A tiny DistillFasterRCNN config around ``teacher`` (a tiny_model_cfg)."""
    student = tiny_model_cfg(num_modalities=1)
    distill.setdefault('require_teacher_ckpt', False)
    student.update(type='DistillFasterRCNN', teacher_config=copy.deepcopy(teacher),
                   data_preprocessor=copy.deepcopy(teacher['data_preprocessor']), **distill)
    return student


def make_samples(num: int = 2, size=(64, 80), seed: int = 0) -> List[DetDataSample]:
    """Data samples with 1-2 pedestrian boxes each (and an ignore region in the first)."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    h, w = size
    for i in range(num):
        boxes = []
        for _ in range(1 + i % 2):
            bh = float(torch.randint(24, 40, (1, ), generator=g))
            bw = 0.41 * bh
            x = float(torch.randint(0, int(w - bw), (1, ), generator=g))
            y = float(torch.randint(0, int(h - bh), (1, ), generator=g))
            boxes.append([x, y, x + bw, y + bh])
        sample = DetDataSample(metainfo=dict(
            img_shape=size, ori_shape=size, pad_shape=size, batch_input_shape=size,
            scale_factor=(1.0, 1.0), img_id=i))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes), labels=torch.zeros(len(boxes), dtype=torch.long))
        ignore = torch.tensor([[0.0, 0.0, 10.0, 20.0]]) if i == 0 else torch.zeros((0, 4))
        sample.ignored_instances = InstanceData(
            bboxes=ignore, labels=torch.zeros(len(ignore), dtype=torch.long))
        samples.append(sample)
    return samples


@pytest.fixture
def samples() -> List[DetDataSample]:
    return make_samples()
