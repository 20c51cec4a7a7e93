# Copyright (c) mmped contributors. All rights reserved.
"""The Da-HAR classifier: shapes, losses, score averaging, five-crop test, training."""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmped.registry import MODELS

K = 3


def _samples(n: int, masks=(), seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        ds = DataSample().set_gt_score(torch.as_tensor(rng.integers(0, 2, K), dtype=torch.float))
        ds.set_field(np.array([True, i % 2 == 0, True]), 'gt_valid')
        if i in masks:
            seg = np.zeros((64, 64), np.uint8)
            seg[16:, 16:48] = 1  # aligned with the 4 x 4 mask logits: binary targets
            ds.set_field(seg, 'gt_seg_map')
        out.append(ds)
    return out


@pytest.fixture
def build(tiny_cfg):
    """``build(**overrides)``: a tiny initialised Da-HAR model."""

    def _build(**overrides):
        torch.manual_seed(0)
        model = MODELS.build(tiny_cfg(K, **overrides))
        model.init_weights()
        return model

    return _build


def test_shapes_and_self_masks(build):
    model = build()
    x = torch.randn(2, 3, 64, 64)
    stages, masks = model.forward_stages(x)
    assert [tuple(s.shape) for s in stages] == [(2, 8, 16, 16), (2, 16, 8, 8), (2, 32, 4, 4),
                                                (2, 64, 2, 2)]
    assert sorted(masks) == [0, 1, 2]
    assert masks[1].shape == (2, 1, 8, 8)
    main, side = model(x, mode='tensor')
    assert main.shape == side.shape == (2, K)
    out = model.forward_branches(x)
    assert out['side']['mask_logits'].shape == (2, 1, 4, 4)  # fused at the stride-16 level
    assert len(model.extract_feat(x, stage='backbone')) == 4
    assert model.extract_feat(x)[-1].shape == (2, 64)


def test_mask_loss_only_for_samples_with_masks(build):
    model = build()
    x = torch.randn(4, 3, 64, 64)
    losses = model.loss(x, _samples(4))
    assert set(losses) == {'main_loss', 'side_loss', 'side_loss_mask'}
    assert losses['side_loss_mask'].item() == 0
    with_masks = model.loss(x, _samples(4, masks=(1, )))
    assert with_masks['side_loss_mask'].item() > 0
    # the mask loss of a batch equals the head's loss on the one masked sample
    mask_logits = model.forward_branches(x)['side']['mask_logits']
    seg = torch.as_tensor(_samples(4, masks=(1, ))[1].gt_seg_map, dtype=torch.float)
    expected = model.side_head.loss_mask(mask_logits[1:2], [seg])
    torch.testing.assert_close(with_masks['side_loss_mask'], expected)


def test_side_loss_ignores_invalid_labels(build):
    model = build()
    x = torch.randn(2, 3, 64, 64)
    samples = _samples(2)
    base = model.loss(x, samples)['side_loss']
    flipped = copy.deepcopy(samples)
    flipped[1].gt_score[1] = 1 - flipped[1].gt_score[1]  # gt_valid[1, 1] is False
    torch.testing.assert_close(model.loss(x, flipped)['side_loss'], base)


def test_unspecified_labels_as_negatives_when_not_ignored(build):
    model = build(ignore_invalid_labels=False)
    x = torch.randn(2, 3, 64, 64)
    samples = _samples(2)
    flipped = copy.deepcopy(samples)
    flipped[1].gt_score[1] = 1 - flipped[1].gt_score[1]  # gt_valid[1, 1] is False
    base, other = model.loss(x, samples), model.loss(x, flipped)
    assert base['side_loss'].item() != pytest.approx(other['side_loss'].item())
    assert base['main_loss'].item() != pytest.approx(other['main_loss'].item())
    assert 'gt_valid' in samples[1] and not samples[1].gt_valid[1]  # inputs untouched


def test_prediction_averages_main_and_side_logits(build):
    # issue 8: "Main-net and side-branch logits averaged at inference"
    model = build().eval()
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        # logits far from 0, where the sigmoid is not linear
        model.head.fc.bias.copy_(torch.linspace(-3, 3, model.head.fc.bias.numel()))
        main, side = model(x, mode='tensor')
        preds = model(x, _samples(3), mode='predict')
    expected = ((main + side) / 2).sigmoid()
    got = torch.stack([p.pred_score for p in preds])
    torch.testing.assert_close(got, expected)
    # the test can tell logit from probability averaging on these inputs
    assert not torch.allclose(got, (main.sigmoid() + side.sigmoid()) / 2, atol=1e-6)
    for p, e in zip(preds, expected):
        assert p.pred_label.tolist() == torch.where(e > 0.5)[0].tolist()
    for fusion, ref in (('main', main.sigmoid()), ('side', side.sigmoid())):
        model.test_cfg['score_fusion'] = fusion
        with torch.no_grad():
            got = torch.stack([p.pred_score for p in model.predict(x)])
        torch.testing.assert_close(got, ref)


def test_five_crop_test_averages_the_five_crops(build):
    model = build(test_cfg=dict(five_crop=dict(crop_size=48))).eval()
    x = torch.randn(2, 3, 64, 64)
    boxes = [(0, 0), (0, 16), (16, 0), (16, 16), (8, 8)]  # (y, x) of tl, tr, bl, br, centre
    with torch.no_grad():
        got = torch.stack([p.pred_score for p in model.predict(x)])
        per_crop = []
        for y, x0 in boxes:
            main, side = model(x[..., y:y + 48, x0:x0 + 48], mode='tensor')
            per_crop.append(((main + side) / 2).sigmoid())
    torch.testing.assert_close(got, torch.stack(per_crop).mean(0))
    model.test_cfg['five_crop'] = None
    with torch.no_grad():
        full = torch.stack([p.pred_score for p in model.predict(x)])
    assert not torch.allclose(full, got)


def test_gradient_reaches_every_new_block(build):
    model = build().train()
    x = torch.randn(4, 3, 64, 64)
    losses = model.loss(x, _samples(4, masks=(0, 1, 2, 3)))
    sum(losses.values()).backward()
    for prefix in ('self_masks', 'side_neck', 'side_head', 'head'):
        params = [(n, p) for n, p in model.named_parameters() if n.startswith(prefix + '.')]
        assert params, prefix
        for name, param in params:
            assert param.grad is not None and param.grad.abs().sum() > 0, name
    # the mask loss alone reaches the backbone (stem) through the side branch
    model.zero_grad()
    model.loss(x, _samples(4, masks=(0, )))['side_loss_mask'].backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.self_masks['0'].mask_block.layers[0][0].weight.grad.abs().sum() > 0


def test_overfits_a_tiny_batch(build):
    model = build().train()
    x = torch.randn(4, 3, 64, 64)
    samples = _samples(4, masks=(0, 1, 2, 3))
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for _ in range(40):
        losses = model.loss(x, samples)
        total = sum(losses.values())
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append({k: v.item() for k, v in losses.items()})
    for key in ('main_loss', 'side_loss'):
        assert history[-1][key] < 0.1 * history[0][key], (key, history[0], history[-1])
    # the mask logits start near 0 (N(0, 0.01) init, no output BN) and grow slowly
    assert history[-1]['side_loss_mask'] < 0.75 * history[0]['side_loss_mask']
    gt = torch.stack([s.gt_score for s in samples])
    valid = torch.stack([torch.as_tensor(s.gt_valid) for s in samples])
    with torch.no_grad():
        main, side = model(x, mode='tensor')
        mask = model.forward_branches(x)['side']['mask_logits'].sigmoid()[:, 0]
    pred = (((main + side) / 2).sigmoid() > 0.5).float()
    assert torch.equal(pred[valid], gt[valid])
    person = torch.zeros(4, 4, dtype=torch.bool)
    person[1:, 1:3] = True  # the person cells of the 4 x 4 mask
    assert torch.all(mask[:, person].min(dim=1).values > mask[:, ~person].max(dim=1).values)


def test_ablation_variants_and_errors(build):
    baseline = build(self_mask_stages=(), side_stages=(2, ), side_neck=None,
                      side_head=dict(type='MaskedAttentionHead', num_classes=K,
                                     attention_channels=16, with_mask=False))
    assert len(baseline.self_masks) == 0 and baseline.side_neck is None
    assert baseline.side_head.in_channels == 32  # filled in: layer3 of the tiny ResNet-18
    losses = baseline.loss(torch.randn(2, 3, 64, 64), _samples(2, masks=(0, )))
    assert set(losses) == {'main_loss', 'side_loss'}
    main_only = build(side_head=None, test_cfg=dict(score_fusion='main'))
    assert not main_only.with_side_branch
    assert set(main_only.loss(torch.randn(2, 3, 64, 64), _samples(2))) == {'main_loss'}
    with pytest.raises(ValueError, match='out of range'):
        build(self_mask_stages=(4, ))
    with pytest.raises(ValueError, match='side_loss'):
        build(side_loss=None)
    with pytest.raises(ValueError, match='exactly one stage'):
        build(side_neck=None)
    with pytest.raises(ValueError, match='score_fusion'):
        build(test_cfg=dict(score_fusion='max'))
    with pytest.raises(ValueError, match='side branch'):
        build(side_head=None)
    with pytest.raises(TypeError, match='res_layers'):
        build(backbone=dict(type='mmpretrain.LeNet5', num_classes=0))
