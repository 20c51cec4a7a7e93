# Copyright (c) mmped contributors. All rights reserved.
"""Shapes, hand-computed targets / losses and gradients of the GDFL components."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmped.models import (
    ChannelAdaptiveAttention,
    GraininessAttention,
    InstanceSensitiveMaskLoss,
    VGG16Det,
    ZoomInZoomOut,
)
from mmped.models.dense_heads import PedestrianAnchorGenerator
from mmped.models.task_modules import ScaleMaskTargets
from mmped.registry import MODELS, TASK_UTILS

from .gdfl_testutils import TINY_CHANNELS, WIDEN

SIZES = [(64, 128), (96, 160)]


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@pytest.mark.parametrize('size', SIZES)
def test_vgg16det_shapes(size):
    names = ('conv3_3', 'conv4_3', 'conv5_3', 'fc7', 'conv6_2', 'conv7_2', 'conv8_2', 'conv9_2')
    net = VGG16Det(out_layers=names, num_extra_blocks=4, widen_factor=WIDEN)
    outs = net(torch.rand(2, 3, *size))
    assert len(outs) == len(names)
    expected_h = size[0]
    for out, name, c, s in zip(outs, names, net.out_channels, net.out_strides):
        if name in ('conv3_3', 'conv4_3', 'conv5_3', 'conv6_2', 'conv7_2', 'conv8_2', 'conv9_2'):
            expected_h = _ceil_div(expected_h, 2) if name != 'conv3_3' else _ceil_div(size[0], 4)
        assert out.shape[:2] == (2, c), name
        assert out.shape[2] == expected_h, name
        assert out.shape[2] == _ceil_div(size[0], s), name
    assert net.out_strides == (4, 8, 16, 16, 32, 64, 128, 256)
    # full width channels
    assert VGG16Det(out_layers=names, num_extra_blocks=4).out_channels == (
        256, 512, 512, 1024, 512, 256, 256, 256)


def test_vgg16det_conv4_3_l2norm_and_errors():
    net = VGG16Det(out_layers=('conv4_3', ), widen_factor=WIDEN, l2_norm_scale=20.)
    out = net(torch.rand(1, 3, 32, 32))[0]
    torch.testing.assert_close(out.norm(dim=1), torch.full(out.shape[-2:], 20.)[None],
                               atol=1e-3, rtol=1e-4)
    with pytest.raises(ValueError, match='out_layers'):
        VGG16Det(out_layers=('conv8_2', ), num_extra_blocks=2)
    with pytest.raises(ValueError, match='num_extra_blocks'):
        VGG16Det(num_extra_blocks=5)


def test_vgg16det_loads_ssd_layout_checkpoint(tmp_path):
    src = VGG16Det(widen_factor=WIDEN)
    # a checkpoint in mmdet SSDVGG / torchvision VGG16 layout: features.N keys
    state = {k: v.clone() + 1.0 for k, v in src.state_dict().items() if k.startswith('features')}
    assert 'features.28.weight' in state and 'features.31.weight' in state  # conv5_3, fc6
    ckpt = tmp_path / 'vgg16.pth'
    torch.save(dict(state_dict=state), ckpt)
    net = VGG16Det(widen_factor=WIDEN, init_cfg=dict(type='Pretrained', checkpoint=str(ckpt)))
    net.init_weights()
    torch.testing.assert_close(net.features[28].weight, state['features.28.weight'])
    torch.testing.assert_close(net.features[33].bias, state['features.33.bias'])


def test_vgg16det_frozen_stages():
    net = VGG16Det(widen_factor=WIDEN, frozen_stages=2)
    net.train()
    assert not net.features[0].weight.requires_grad and not net.features[7].weight.requires_grad
    assert net.features[10].weight.requires_grad


def test_scale_mask_targets_threshold_mode():
    # 2 boxes overlap: the smaller (box 1) owns the overlap; box 2 is large (>= 120 px)
    boxes = torch.tensor([[0., 0., 4., 8.], [2., 2., 4., 4.], [4., 0., 8., 130.]])
    ignore = torch.tensor([[0., 8., 8., 12.], [6., 0., 8., 2.]])
    target = ScaleMaskTargets(height_thresholds=(120., ))
    assert target.num_classes == 3 and target.num_maps == 1
    labels, heights, valid = target(boxes, (12, 8), stride=1.0, ignore_bboxes=ignore)
    assert labels.shape == heights.shape == valid.shape == (1, 12, 8)
    lab, hgt, val = labels[0], heights[0], valid[0]
    assert lab[0, 0] == 1 and hgt[0, 0] == 8
    assert lab[3, 3] == 1 and hgt[3, 3] == 2  # overlap -> smallest box
    assert lab[5, 5] == 2 and hgt[5, 5] == 130  # tall box -> large class
    assert lab[9, 0] == 0 and not val[9, 0]  # inside an ignore box only
    assert val[0, 6] and lab[0, 6] == 2  # ignore box under a real box stays valid
    assert lab[9, 5] == 2 and val[9, 5]
    assert int((lab == 1).sum()) == 4 * 8 and int((lab == 2).sum()) == 4 * 12
    # stride 2: the grid cell centres are at 1, 3, 5...
    lab2, _, _ = target(boxes, (6, 4), stride=2.0)
    assert lab2.shape == (1, 6, 4) and lab2[0, 1, 1] == 1 and lab2[0, 0, 2] == 2
    # single-scale: every foreground pixel is class 1
    single = ScaleMaskTargets(height_thresholds=())
    assert single.num_classes == 2
    assert set(single(boxes, (12, 8))[0].unique().tolist()) == {0, 1}


def test_scale_mask_targets_range_mode():
    boxes = torch.tensor([[0., 0., 10., 40.], [20., 0., 30., 100.], [40., 0., 50., 300.]])
    target = ScaleMaskTargets(height_ranges=((30, 89), (90, 169), (170, 259), (260, None)))
    labels, heights, valid = target(boxes, (300, 60))
    assert labels.shape == (4, 300, 60) and target.num_classes == 2 and target.num_maps == 4
    # layer 0 sees the 40 px person only; the others are ignored there
    assert labels[0, 5, 5] == 1 and heights[0, 5, 5] == 40 and valid[0, 5, 5]
    assert labels[0, 5, 25] == 0 and not valid[0, 5, 25]
    assert labels[1, 5, 25] == 1 and heights[1, 5, 25] == 100
    assert labels[3, 200, 45] == 1 and not valid[2, 200, 45]
    assert valid[:, 5, 15].all() and (labels[:, 5, 15] == 0).all()  # background everywhere
    bg = ScaleMaskTargets(height_ranges=((30, 89), (90, 169)), out_of_range='background')
    labels_bg, heights_bg, valid_bg = bg(boxes, (300, 60))
    assert labels_bg[0, 5, 25] == 0 and valid_bg[0, 5, 25] and heights_bg[0, 5, 25] == 0


def test_instance_sensitive_mask_loss_hand_computed():
    loss = InstanceSensitiveMaskLoss(alpha=3., beta=10.)
    # 1 image, 3 classes, 1 x 4 pixels
    logits = torch.tensor([[[0., 1., 0., 2.]], [[1., 0., 0., 0.]], [[0., 0., 1., 0.]]])[None]
    labels = torch.tensor([[[0, 1, 2, 1]]])
    heights = torch.tensor([[[0., 50., 200., 10.]]])
    valid = torch.tensor([[[True, True, True, False]]])
    lse = [math.log(math.exp(0) + math.exp(1) + math.exp(0)),
           math.log(math.exp(1) + math.exp(0) + math.exp(0)),
           math.log(1 + 1 + math.e)]
    ce = [lse[0] - 0., lse[1] - 0., lse[2] - 1.]
    expected = (1.0 * ce[0] + (3 + 10 / 50) * ce[1] + (3 + 10 / 200) * ce[2]) / 4
    out = loss(logits, labels, heights, valid)
    assert out.item() == pytest.approx(expected, rel=1e-5)
    # plain softmax loss (alpha=1, beta=0) without ignore = mean cross entropy
    plain = InstanceSensitiveMaskLoss(alpha=1., beta=0., loss_weight=2.)
    assert plain(logits, labels, heights).item() == pytest.approx(
        2 * F.cross_entropy(logits, labels).item(), rel=1e-5)
    with pytest.raises(ValueError, match='spatial'):
        loss(logits, labels[..., :2], heights[..., :2])


def test_zizom_shapes_and_resampling():
    m = ZoomInZoomOut(16, zoom_in_channels=8, zoom_out_channels=32, select_channels=4)
    cur, fine, coarse = torch.rand(2, 16, 9, 13), torch.rand(2, 8, 17, 25), torch.rand(
        2, 32, 5, 7)
    att = torch.rand(2, 1, 9, 13)
    assert m(cur, fine, coarse, att).shape == (2, 16, 9, 13)
    with pytest.raises(ValueError, match='finer'):
        m(cur, None, coarse)
    # a zero attention removes the neighbours' contribution
    zero = torch.zeros_like(att)
    m2 = ZoomInZoomOut(16, zoom_in_channels=8, zoom_out_channels=32, select_channels=4)
    m2.load_state_dict(m.state_dict())
    out_a = m(cur, fine, coarse, zero)
    out_b = m2(cur, torch.rand_like(fine), torch.rand_like(coarse), zero)
    torch.testing.assert_close(out_a, out_b)


@pytest.mark.parametrize('size', SIZES)
def test_graininess_attention_shapes(size):
    net = VGG16Det(widen_factor=WIDEN)
    neck = GraininessAttention(list(TINY_CHANNELS), mask_channels=16, zizom_layers=(0, 1),
                               channel_attention=True)
    inputs = net(torch.rand(2, 3, *size))
    feats, logits = neck(inputs, return_masks=True)
    assert [f.shape for f in feats] == [i.shape for i in inputs[1:]]
    assert logits.shape == (2, 3, _ceil_div(size[0], 4) * 4, _ceil_div(size[1], 4) * 4)
    plain = neck(inputs)
    assert isinstance(plain, tuple) and len(plain) == 4
    half = GraininessAttention(list(TINY_CHANNELS), mask_channels=16, mask_stride=2)
    assert half(inputs, return_masks=True)[1].shape[-2:] == (logits.shape[-2] // 2,
                                                            logits.shape[-1] // 2)
    none = GraininessAttention(list(TINY_CHANNELS), with_attention=False, zizom_layers=(0, ))
    f, masks = none(inputs, return_masks=True)
    assert masks is None and f[1] is inputs[2]


def test_graininess_attention_encodes_scale_maps():
    """With the fuse conv forced, the small map multiplies conv4_3 and the large one conv6_2."""
    inputs = [torch.rand(1, c, 32 // s, 32 // s) + 0.5 for c, s in zip(TINY_CHANNELS,
                                                                        (4, 8, 16, 32, 64))]
    neck = GraininessAttention(list(TINY_CHANNELS), mask_channels=8)
    with torch.no_grad():
        neck.fuse.weight.zero_()
        neck.fuse.bias.copy_(torch.tensor([0., 0., math.log(3.)]))  # softmax = 0.2/0.2/0.6
    feats = neck(inputs)
    torch.testing.assert_close(feats[0], inputs[1] * 0.2)
    torch.testing.assert_close(feats[2], inputs[3] * 0.6)


@pytest.mark.parametrize('size', SIZES)
def test_channel_adaptive_attention_shapes(size):
    inputs = VGG16Det(widen_factor=WIDEN)(torch.rand(2, 3, *size))
    neck = ChannelAdaptiveAttention(list(TINY_CHANNELS), feat_channels=8, zizom_layers=(0, ))
    feats, segs = neck(inputs, return_masks=True)
    assert [f.shape for f in feats] == [i.shape for i in inputs[1:]]
    h8, w8 = inputs[1].shape[-2:]
    assert len(segs) == 4 and all(s.shape == (2, 2, h8 * 2, w8 * 2) for s in segs)
    assert len(neck(inputs)) == 4  # no segmentation at inference
    maps = neck.attention_maps(inputs)
    assert [m.shape[1] for m in maps] == [1] * 4
    single = ChannelAdaptiveAttention(list(TINY_CHANNELS), feat_channels=8,
                                      channel_adaptive=False)
    assert single.branches[0].att.out_channels == 1
    assert neck.branches[0].att.out_channels == TINY_CHANNELS[1]
    selfatt = ChannelAdaptiveAttention(list(TINY_CHANNELS), feat_channels=8, with_seg=False)
    assert selfatt(inputs, return_masks=True)[1] is None


def test_gradients_reach_attention_and_zizom():
    inputs = [torch.rand(1, c, 64 // s, 64 // s) for c, s in zip(TINY_CHANNELS,
                                                                  (4, 8, 16, 32, 64))]
    neck = GraininessAttention(list(TINY_CHANNELS), mask_channels=8, zizom_layers=(0, ))
    feats, logits = neck(inputs, return_masks=True)
    sum(f.sum() for f in feats).backward()  # detection path only
    for name in ('conv_mask.1.weight', 'reduce.0.weight', 'fuse.weight',
                 'zizoms.0.zoom_in.0.weight', 'zizoms.0.zoom_out.0.weight',
                 'zizoms.0.fuse.0.weight', 'zizoms.0.norm_in.weight'):
        grad = dict(neck.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    ca = ChannelAdaptiveAttention(list(TINY_CHANNELS), feat_channels=8, zizom_layers=(0, ))
    feats, segs = ca(inputs, return_masks=True)
    (sum(f.sum() for f in feats) + sum(s.sum() for s in segs)).backward()
    for name in ('branches.0.shared.0.weight', 'branches.0.att.weight',
                 'branches.3.seg_pred.weight', 'zizoms.0.fuse.0.weight'):
        grad = dict(ca.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_pedestrian_anchor_generator():
    gen = PedestrianAnchorGenerator(strides=(8, 16), heights=((40., 80.), (110., )))
    assert gen.num_base_priors == [2, 1]
    a = gen.grid_priors([(2, 3), (1, 2)], device='cpu')
    assert a[0].shape == (2 * 3 * 2, 4) and a[1].shape == (2, 4)
    first = a[0][0]
    torch.testing.assert_close(first, torch.tensor([4 - 8.2, 4 - 20., 4 + 8.2, 4 + 20.]))
    h = a[0][:, 3] - a[0][:, 1]
    w = a[0][:, 2] - a[0][:, 0]
    torch.testing.assert_close(w / h, torch.full_like(h, 0.41))
    assert TASK_UTILS.build(dict(type='PedestrianAnchorGenerator', strides=(8, ),
                                 heights=((40., ), ))).num_levels == 1
    with pytest.raises(ValueError):
        PedestrianAnchorGenerator(strides=(8, 16), heights=((40., ), ))


def test_components_build_from_registry():
    assert isinstance(MODELS.build(dict(type='mmped.GraininessAttention',
                                        in_channels=list(TINY_CHANNELS), mask_channels=8)),
                      GraininessAttention)
    assert isinstance(MODELS.build(dict(type='InstanceSensitiveMaskLoss')),
                      InstanceSensitiveMaskLoss)
    assert isinstance(TASK_UTILS.build(dict(type='ScaleMaskTargets')), ScaleMaskTargets)
