# Copyright (c) mmped contributors. All rights reserved.
"""Distillation losses and the box-mask segmentation head against hand-computed values."""
import math

import pytest
import torch
from mmengine.structures import InstanceData

from mmped.models.dense_heads import BoxMaskSegHead
from mmped.models.losses import (
    BoundedRegressionLoss,
    FeatureHintLoss,
    SegDistillLoss,
    SoftHardCrossEntropyLoss,
)
from mmped.registry import MODELS


def test_feature_hint_loss_by_hand():
    loss = FeatureHintLoss(1, 2, loss_weight=0.5)
    with torch.no_grad():
        loss.adaptation.weight.copy_(torch.tensor([1.0, 2.0]).view(2, 1, 1, 1))
        loss.adaptation.bias.zero_()
    student = torch.tensor([[[[1.0, 2.0]]]], requires_grad=True)  # (1, 1, 1, 2)
    teacher = torch.tensor([[[[0.0, 2.0]], [[2.0, 2.0]]]])  # (1, 2, 1, 2)
    # adapted = [[1, 2], [2, 4]]; squared diff = [1, 0, 0, 4]; mean 1.25; rho 0.5
    value = loss(student, teacher)
    assert value.item() == pytest.approx(0.625)
    value.backward()
    assert student.grad is not None and loss.adaptation.weight.grad is not None
    summed = FeatureHintLoss(1, 2, loss_weight=1.0, reduction='sum')
    summed.adaptation.load_state_dict(loss.adaptation.state_dict())
    assert summed(student, teacher).item() == pytest.approx(5.0)
    with pytest.raises(ValueError, match='do not match'):
        loss(student, torch.zeros(1, 3, 1, 2))


def test_soft_hard_ce_by_hand():
    loss = SoftHardCrossEntropyLoss(zeta=0.5, temperature=2.0)
    s = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    t = torch.tensor([[2.0, 0.0], [0.0, 4.0]])
    labels = torch.tensor([0, 1])
    p0 = 1 / (1 + math.exp(-1))  # student softmax of row 0, class 0
    q0 = 1 / (1 + math.exp(-1))  # teacher softmax(t / 2) of row 0, class 0
    row0 = 0.5 * -math.log(p0) + 0.5 * -(q0 * math.log(p0) + (1 - q0) * math.log(1 - p0))
    row1 = 0.5 * math.log(2) + 0.5 * math.log(2)
    assert loss(s, labels, t).item() == pytest.approx((row0 + row1) / 2, rel=1e-5)
    # weights and avg_factor as mmdet's CrossEntropyLoss
    w = torch.tensor([1.0, 0.0])
    assert loss(s, labels, t, w, avg_factor=4.0).item() == pytest.approx(row0 / 4, rel=1e-5)
    # zeta = 1 is the plain cross-entropy of mmdet
    ce = MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=False))
    hard = SoftHardCrossEntropyLoss(zeta=1.0)
    assert hard(s, labels, t).item() == pytest.approx(ce(s, labels).item(), rel=1e-6)


def test_bounded_regression_by_hand_with_margin_branch():
    target = torch.zeros(2, 4)
    student = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0]], requires_grad=True)
    teacher = torch.tensor([[0.5, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    # student errors ||.||^2 = [1, 0.25]; teacher errors [0.25, 1]
    # smooth L1 (beta 1) = [0.5, 0.125] summed = 0.625
    loss = BoundedRegressionLoss(eps=0.5, margin=0.0, beta=1.0)
    # delta 0: only row 0 (1 > 0.25) is penalised: 0.625 + 0.5 * 1 = 1.125, / 2 samples
    assert loss(student, target, teacher).item() == pytest.approx(1.125 / 2)
    # delta 1: row 1 too (0.25 + 1 > 1): 0.625 + 0.5 * 1.25 = 1.25
    wide = BoundedRegressionLoss(eps=0.5, margin=1.0, beta=1.0)
    assert wide(student, target, teacher, avg_factor=1.0).item() == pytest.approx(1.25)
    # a negative margin can switch the term off for row 0 too (1 - 1 > 0.25 is false)
    strict = BoundedRegressionLoss(eps=0.5, margin=-1.0, beta=1.0)
    assert strict(student, target, teacher, avg_factor=1.0).item() == pytest.approx(0.625)
    # gradients of the bounded term flow to the student only
    teacher.requires_grad_(True)
    loss(student, target, teacher).backward()
    assert student.grad is not None and teacher.grad is None
    # zero weights remove coordinates from both norms
    w = torch.tensor([[0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
    assert loss(student.detach(), target, teacher.detach(), w,
                avg_factor=1.0).item() == pytest.approx(0.125)
    # built without beta: the caller's (the stage's plain loss, RPN 1/9) is used
    stage = BoundedRegressionLoss(eps=0.5)
    # smooth L1 (beta 1/9) = [1 - 1/18, 0.5 - 1/18]; bounded row 0: 0.5 * 1
    expected = (1 - 1 / 18 + 0.5 - 1 / 18 + 0.5) / 2
    assert stage(student, target, teacher, beta=1 / 9).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match='beta'):
        stage(student, target, teacher)


def test_seg_distill_by_hand():
    loss = SegDistillLoss(xi=0.5)
    logits = torch.zeros(1, 2, 1, 2)
    logits[0, 1, 0, 0] = math.log(3.0)  # cell 0: p(fg) = 0.75, cell 1: 0.5
    target = torch.tensor([[[1, 255]]])
    teacher = torch.zeros(1, 2, 1, 2)
    teacher[0, 1] = math.log(3.0)  # teacher p(fg) = 0.75 in both cells
    gt_term = -math.log(0.75)  # only cell 0 counts
    kd0 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    kd1 = -(0.75 * math.log(0.5) + 0.25 * math.log(0.5))
    expected = 0.5 * gt_term + 0.5 * (kd0 + kd1) / 2
    assert loss(logits, target, teacher).item() == pytest.approx(expected, rel=1e-5)
    assert loss(logits, target).item() == pytest.approx(0.5 * gt_term, rel=1e-5)


def test_box_mask_seg_head_targets_and_loss():
    head = BoxMaskSegHead(4)
    gt = InstanceData(bboxes=torch.tensor([[0.0, 0.0, 16.0, 32.0]]))
    ignore = InstanceData(bboxes=torch.tensor([[16.0, 0.0, 48.0, 16.0]]))
    targets = head.get_targets([gt], (2, 4), 16.0, [ignore])
    expected = torch.tensor([[[1, 255, 255, 0], [1, 0, 0, 0]]])
    assert torch.equal(targets, expected)
    logits = torch.zeros(1, 2, 2, 4, requires_grad=True)
    value = head.loss_by_feat(logits, targets)
    assert value.item() == pytest.approx(math.log(2))  # uniform prediction, 6 valid cells
    value.backward()
    assert logits.grad[0, :, 0, 1].abs().sum() == 0  # ignored cell has no gradient
    assert head.loss_by_feat(logits, torch.full((1, 2, 4), 255)).item() == 0.0
    # per-RoI targets: a 2x2 grid over the RoI [0, 0, 32, 32]: left column is the person
    rois = torch.tensor([[0.0, 0.0, 0.0, 32.0, 32.0]])
    roi_t = head.get_roi_targets(rois, [gt], (64, 64), (2, 2), 4.0, [ignore])
    assert torch.equal(roi_t, torch.tensor([[[1, 255], [1, 0]]]))
    assert head(torch.randn(3, 4, 2, 2)).shape == (3, 2, 2, 2)
