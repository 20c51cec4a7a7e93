# Copyright (c) mmped contributors. All rights reserved.
import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmped.models import BNNeckReIDHead, MultiLabelAttrHead, PedImageClassifier, WeightedBCELoss
from mmped.registry import MODELS
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=False)
LN2 = math.log(2.0)


def test_weighted_bce_exp_and_dahar_hand_computed():
    logits = torch.zeros(1, 2)
    gt = torch.tensor([[1.0, 0.0]])
    exp_loss = WeightedBCELoss(mode='exp', pos_ratio=[0.25, 0.5])(logits, gt)
    # positive of attr0: exp(1 - 0.25); negative of attr1: exp(0.5); BCE at logit 0 = ln 2
    assert exp_loss.item() == pytest.approx(LN2 * (math.exp(0.75) + math.exp(0.5)) / 2)
    dahar = WeightedBCELoss(mode='dahar', pos_ratio=[0.25, 0.5])(logits, gt)
    assert dahar.item() == pytest.approx(LN2 * (1 / (2 * 0.25) + 1 / (2 * 0.5)) / 2)
    plain = WeightedBCELoss(mode='none')(logits, gt)
    assert plain.item() == pytest.approx(LN2)
    batchmean = WeightedBCELoss(mode='none', reduction='batchmean')(logits, gt)
    assert batchmean.item() == pytest.approx(2 * LN2)


def test_weighted_bce_ignores_invalid_labels():
    logits = torch.zeros(1, 2, requires_grad=True)
    gt = torch.tensor([[1.0, 1.0]])
    valid = torch.tensor([[True, False]])
    loss = WeightedBCELoss(mode='exp', pos_ratio=[0.25, 0.5])(logits, gt, valid)
    assert loss.item() == pytest.approx(LN2 * math.exp(0.75))  # mean over 1 valid entry
    loss.backward()
    assert logits.grad[0, 1] == 0 and logits.grad[0, 0] < 0


def test_weighted_bce_running_ratio_and_state_dict():
    loss = WeightedBCELoss(mode='dahar')
    gt = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    valid = torch.tensor([[True, True], [True, True], [True, False], [True, True]])
    loss(torch.zeros(4, 2), gt, valid)
    torch.testing.assert_close(loss.num_pos, torch.tensor([3.0, 1.0], dtype=torch.float64))
    torch.testing.assert_close(loss.num_valid, torch.tensor([4.0, 3.0], dtype=torch.float64))
    fresh = WeightedBCELoss(mode='dahar')
    fresh.load_state_dict(loss.state_dict())
    torch.testing.assert_close(fresh.num_pos, loss.num_pos)
    with pytest.raises(ValueError, match='mode'):
        WeightedBCELoss(mode='focal')


def _attr_samples(n=4, a=3):
    gen = torch.Generator().manual_seed(0)
    gt = torch.randint(0, 2, (n, a), generator=gen).float()
    return [DataSample().set_gt_score(g) for g in gt], gt


def test_attribute_classifier_overfits_tiny_batch():
    torch.manual_seed(0)
    model = PedImageClassifier(
        backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='MultiLabelAttrHead', num_classes=3, in_channels=512,
                  loss=dict(type='WeightedBCELoss', mode='none')))
    assert type(model.backbone).__module__.startswith('mmpretrain')
    samples, gt = _attr_samples()
    x = torch.randn(4, 3, 32, 32)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    first = None
    for _ in range(30):
        loss = model(x, samples, mode='loss')['loss']
        first = first if first is not None else loss.item()
        optim.zero_grad()
        loss.backward()
        optim.step()
    assert loss.item() < 0.3 * first
    model.eval()
    preds = model(x, [DataSample() for _ in range(4)], mode='predict')
    torch.testing.assert_close(torch.stack([p.pred_score for p in preds]).round(), gt)


def test_ped_classifier_builds_mmped_children_in_any_scope():
    cfg = dict(type='PedImageClassifier',
               backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )),
               neck=dict(type='mmpretrain.GlobalAveragePooling'),
               head=dict(type='MultiLabelAttrHead', num_classes=2, in_channels=512))
    for scope, name in (('mmped', 'PedImageClassifier'),
                        ('mmpretrain', 'mmped.models.PedImageClassifier')):
        with DefaultScope.overwrite_default_scope(scope):
            model = MODELS.build(dict(cfg, type=name))
        assert isinstance(model.head.loss_module, WeightedBCELoss)
        assert type(model.data_preprocessor).__module__.startswith('mmpretrain')


def test_multilabel_head_valid_mask_and_plain_losses():
    feats = (torch.randn(2, 4), )
    samples = [DataSample().set_gt_score(torch.tensor([1.0, 0.0])) for _ in range(2)]
    head = MultiLabelAttrHead(num_classes=2, in_channels=4,
                              loss=dict(type='mmpretrain.CrossEntropyLoss', use_sigmoid=True))
    # mmpretrain's convention: avg_factor = N, i.e. summed over attributes, mean over samples
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        head(feats), torch.tensor([[1.0, 0.0]] * 2), reduction='sum') / 2
    assert head.loss(feats, samples)['loss'].item() == pytest.approx(ref.item(), rel=1e-5)
    for s in samples:
        s.set_field(torch.tensor([True, False]), 'gt_valid')
    with pytest.raises(ValueError, match='cannot ignore'):
        head.loss(feats, samples)
    head = MultiLabelAttrHead(num_classes=2, in_channels=4,
                              loss=dict(type='WeightedBCELoss', mode='none'))
    logits = head(feats)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], torch.ones(2))
    assert head.loss(feats, samples)['loss'].item() == pytest.approx(ref.item(), rel=1e-5)
    preds = head.predict(feats)
    assert preds[0].pred_score.shape == (2, )


def test_bnneck_head_losses_and_features():
    head = BNNeckReIDHead(num_classes=3, in_channels=8,
                          loss_triplet=dict(type='TripletLoss', margin=0.3))
    assert not head.bn.bias.requires_grad
    feats = (torch.randn(6, 8), )
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_cls', 'loss_triplet', 'accuracy'}
    losses['loss_cls'].backward()
    head.eval()
    out = head.predict(feats)
    assert out[0].pred_feature.shape == (8, )
    with pytest.raises(ValueError, match='identity labels'):
        head.loss(feats, [DataSample().set_gt_label(5) for _ in range(6)])
