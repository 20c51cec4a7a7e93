# Copyright (c) mmped contributors. All rights reserved.
"""Values of GDFL's graininess-aware attention neck and zoom-in-zoom-out module against the
functional re-implementation of ``neck_reference.py``, with random (seeded) parameters, a
non-square image, non-default dilations and mask stride, an asymmetric ``layer_classes``, SE
channel attention and a ZIZOM; plus every argument check with its message and every default.

The image is 32 x 48: VGG16Det's levels at strides 4-64 are 8 x 12, 4 x 6, 2 x 3, 1 x 1 (the
stride-32 level's 1 x 1.5 rounded down) and 1 x 1 (0.5 x 0.75 rounded up).
"""
import pytest
import torch

from mmped.models.necks import GraininessAttention, ZoomInZoomOut
from mmped.models.necks.graininess_attention import _SEChannelAttention
from mmped.models.necks.zoom_in_zoom_out import apply_zizoms, build_zizoms

from .neck_reference import graininess, graininess_logits, l2norm, randomise, se_gate, zizom

CHANNELS = (3, 4, 5, 4, 2)
SIZES = ((8, 12), (4, 6), (2, 3), (1, 1), (1, 1))
IMAGE = (32, 48)


def _inputs(seed=1, channels=CHANNELS, sizes=SIZES, batch=2):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, h, w, generator=gen) for c, (h, w) in zip(channels, sizes)]


def _close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('mask_stride', [1, 3])
def test_graininess_values_with_se_and_zizom(mask_stride):
    """Dilations (1, 2, 3) (a padding other than the dilation changes the map size or values),
    mask stride 3 (32 / 3 rounds to 11, 48 / 3 to 16), scale class 2 on the first detection
    layer: every output equals the re-implementation."""
    kw = dict(in_channels=CHANNELS, mask_channels=3, dilations=(1, 2, 3),
              mask_stride=mask_stride, layer_classes=(2, 1, 1, 2), zizom_layers=(0, ),
              zizom_channels=3, channel_attention=True)
    neck = randomise(GraininessAttention(**kw))
    # 3 ZIZOM channels, not the default C // 2 = 2 of the 4-channel layer; 1x1 reductions
    assert neck.zizoms['0'].zoom_out[0].out_channels == 3
    assert [c.kernel_size for c in neck.reduce] == [(1, 1)] * 3
    assert neck.in_channels == list(CHANNELS)
    inputs = _inputs()
    feats, logits = neck(inputs, return_masks=True)
    exp_feats, exp_logits = graininess(neck, inputs, IMAGE, mask_stride, (1, 2, 3),
                                       (1, 2, 3, 4), (2, 1, 1, 2), (0, ), True)
    assert logits.shape == (2, 3, round(32 / mask_stride), 48 // mask_stride)
    _close(logits, exp_logits)
    assert len(feats) == 4
    for f, e in zip(feats, exp_feats):
        _close(f, e)
    # without return_masks: the features alone, the same values
    plain = neck(inputs)
    assert isinstance(plain, tuple) and len(plain) == 4
    for f, e in zip(plain, exp_feats):
        _close(f, e)


def test_graininess_attention_maps_and_default_paths():
    """Defaults (dilation 2, mask stride 1, classes (1, 1, 2, 2), no SE, no ZIZOM); the maps of
    ``attention_maps`` are the softmax class maps average-pooled to each layer."""
    neck = randomise(GraininessAttention(in_channels=CHANNELS, mask_channels=3), seed=3)
    inputs = _inputs(2)
    feats, logits = neck(inputs, return_masks=True)
    exp_feats, exp_logits = graininess(neck, inputs, IMAGE, 1, (2, 2, 2), (1, 2, 3, 4),
                                       (1, 1, 2, 2))
    _close(logits, exp_logits)
    for f, e in zip(feats, exp_feats):
        _close(f, e)
    probs = exp_logits.softmax(1)
    maps = neck.attention_maps(inputs)
    for m, k, c in zip(maps, (1, 2, 3, 4), (1, 1, 2, 2)):
        _close(m, torch.nn.functional.adaptive_avg_pool2d(probs[:, c:c + 1],
                                                          inputs[k].shape[-2:]))
    assert len(neck.conv_mask) == 7 and neck.conv_mask[0].kernel_size == 3
    assert neck.conv_mask[0].stride == 1 and neck.conv_mask[0].padding == 1
    assert [neck.conv_mask[i].dilation for i in (1, 3, 5)] == [(2, 2)] * 3
    assert neck.in_strides == [4, 8, 16, 32, 64] and neck.mask_stride == 1
    assert neck.att_indices == (0, 1) and neck.det_indices == (1, 2, 3, 4)
    assert neck.num_attention_maps == 3 and neck.layer_classes == (1, 1, 2, 2)
    assert neck.channel_att is None and len(neck.zizoms) == 0
    assert neck.init_cfg == dict(type='Xavier', layer='Conv2d', distribution='uniform')
    assert GraininessAttention(CHANNELS, init_cfg=dict(type='Normal')).init_cfg == \
        dict(type='Normal')
    assert GraininessAttention(CHANNELS).conv_mask[1].out_channels == 512


def test_graininess_other_attention_inputs_and_two_classes():
    """``att_indices=(1, 2)`` builds the attention on conv4_3 / conv5_3; two maps
    (``num_classes=2``) put the one foreground map on every layer."""
    neck = randomise(GraininessAttention(in_channels=CHANNELS, att_indices=(1, 2),
                                         num_classes=2, layer_classes=(1, 1, 1, 1),
                                         mask_channels=2, dilations=(1, )), seed=5)
    inputs = _inputs(4)
    _, logits = neck(inputs, return_masks=True)
    assert neck.reduce[0].in_channels == 4 and neck.reduce[1].in_channels == 5
    _close(logits, graininess_logits(neck, inputs, IMAGE, 1, (1, ), att_indices=(1, 2)))


def test_graininess_without_attention_passes_features_through():
    """``with_attention=False`` returns the backbone features themselves (no attention, no
    logits); with a ZIZOM, the ZIZOM gets no attention at all."""
    neck = GraininessAttention(in_channels=CHANNELS, with_attention=False,
                               layer_classes=(0, 5, 9, 1))
    inputs = _inputs(3)
    feats, logits = neck(inputs, return_masks=True)
    assert logits is None and not hasattr(neck, 'conv_mask')
    assert all(f is inputs[k] for f, k in zip(feats, (1, 2, 3, 4)))
    with pytest.raises(ValueError, match=r'^GraininessAttention was built with '
                       r'with_attention=False: it has no attention maps$'):
        neck.attention_maps(inputs)
    neck = randomise(GraininessAttention(in_channels=CHANNELS, with_attention=False,
                                         zizom_layers=(1, ), zizom_channels=2), seed=7)
    feats = neck(inputs)
    _close(feats[1], zizom(neck.zizoms['1'], inputs[2], inputs[1], inputs[3], None, None))
    assert feats[0] is inputs[1]


def test_graininess_se_without_spatial_attention():
    """SE after no spatial attention: the layer is gated, and its ZIZOM gets the gate alone.

    Batch 2 and 3 ZIZOM channels: a map of ones for the neighbours in any other shape than
    (N, 1, 1, 1) / (1, 1, 1) does not broadcast against the (2, 3, h, w) neighbours."""
    neck = randomise(GraininessAttention(in_channels=CHANNELS, with_attention=False,
                                         channel_attention=True, zizom_layers=(0, ),
                                         zizom_channels=3), seed=8)
    inputs = _inputs(5)
    feats = neck(inputs)
    gate = se_gate(neck.channel_att[0], inputs[1])
    _close(feats[0], zizom(neck.zizoms['0'], inputs[1], inputs[0], inputs[2], gate, None))
    _close(feats[2], inputs[3] * se_gate(neck.channel_att[2], inputs[3]))


def test_graininess_argument_errors_name_the_arguments():
    with pytest.raises(ValueError, match=r'^5 in_channels but 4 in_strides$'):
        GraininessAttention(CHANNELS, in_strides=(4, 8, 16, 32))
    with pytest.raises(ValueError, match=r'^layer_classes \(1, 1, 2\) needs one entry per '
                       r'detection layer \(1, 2, 3, 4\)$'):
        GraininessAttention(CHANNELS, layer_classes=(1, 1, 2))
    # classes in [1, num_classes): 0 (background) and num_classes are refused, both ends pass
    for bad in ((0, 1, 2, 2), (1, 1, 2, 3)):
        with pytest.raises(ValueError, match=r'^layer_classes \(.*\) must be in \[1, 3\)$'):
            GraininessAttention(CHANNELS, layer_classes=bad)
    assert GraininessAttention(CHANNELS, layer_classes=(1, 2, 1, 2)).layer_classes == \
        (1, 2, 1, 2)


def test_se_channel_attention_hidden_width_and_gate():
    """Hidden width ``channels // ratio`` (16 by default), at least 1."""
    assert _SEChannelAttention(32).fc[0].out_channels == 2
    assert _SEChannelAttention(32, ratio=8).fc[0].out_channels == 4
    assert _SEChannelAttention(8).fc[0].out_channels == 1
    se = randomise(_SEChannelAttention(6, ratio=2), seed=9)
    x = torch.randn(2, 6, 3, 4, generator=torch.Generator().manual_seed(0))
    _close(se.gate(x), se_gate(se, x))
    _close(se(x), x * se_gate(se, x))


def test_zizom_values_channels_and_defaults():
    """Both neighbours, norms with per-channel scales, an attention of C channels and a spatial
    neighbour attention: the output equals the reference; default widths follow the
    docstring (select = C // 2, at least 1; out = C; norm scale 10)."""
    m = randomise(ZoomInZoomOut(4, zoom_in_channels=3, zoom_out_channels=5, select_channels=2,
                                out_channels=6), seed=11)
    gen = torch.Generator().manual_seed(12)
    x, finer, coarser = (torch.randn(2, c, h, w, generator=gen)
                         for c, h, w in ((4, 3, 4), (3, 6, 8), (5, 2, 2)))
    att = torch.rand(2, 4, 3, 4, generator=gen)
    neighbour = torch.rand(2, 1, 3, 4, generator=gen)
    _close(m(x, finer, coarser, att, neighbour), zizom(m, x, finer, coarser, att, neighbour))
    # a one-channel attention is the neighbours' attention too
    spatial = torch.rand(2, 1, 3, 4, generator=gen)
    _close(m(x, finer, coarser, spatial), zizom(m, x, finer, coarser, spatial, spatial))
    _close(m(x, finer, coarser), zizom(m, x, finer, coarser, None, None))

    default = ZoomInZoomOut(6, zoom_in_channels=3, zoom_out_channels=5)
    assert default.zoom_in[0].out_channels == 3 and default.zoom_out[0].out_channels == 3
    assert default.fuse[0].in_channels == 12 and default.fuse[0].out_channels == 6
    assert default.out_channels == 6
    assert torch.equal(default.norm_cur.weight, torch.full((6, ), 10.0))
    assert torch.equal(default.norm_in.weight, torch.full((3, ), 10.0))
    assert torch.equal(default.norm_out.weight, torch.full((3, ), 10.0))
    assert ZoomInZoomOut(1, zoom_in_channels=2).zoom_in[0].out_channels == 1
    assert torch.equal(ZoomInZoomOut(2, zoom_in_channels=2, norm_scale=20.0).norm_in.weight,
                       torch.full((1, ), 20.0))
    scaled = ZoomInZoomOut(2, zoom_out_channels=2, norm_scale=20.0)
    assert torch.equal(scaled.norm_out.weight, torch.full((1, ), 20.0))
    assert torch.equal(scaled.norm_cur.weight, torch.full((2, ), 20.0))
    assert scaled.init_cfg == dict(type='Xavier', layer='Conv2d', distribution='uniform')
    assert ZoomInZoomOut(2, init_cfg=dict(type='Kaiming')).init_cfg == dict(type='Kaiming')


def test_zizom_single_branches_and_errors():
    gen = torch.Generator().manual_seed(13)
    x, finer, coarser = (torch.randn(1, c, h, w, generator=gen)
                         for c, h, w in ((2, 2, 2), (2, 4, 4), (2, 1, 1)))
    only_in = randomise(ZoomInZoomOut(2, zoom_in_channels=2, select_channels=1), seed=14)
    assert only_in.zoom_out is None and only_in.fuse[0].in_channels == 3
    _close(only_in(x, finer), zizom(only_in, x, finer, None, None, None))
    only_out = randomise(ZoomInZoomOut(2, zoom_out_channels=2, select_channels=1), seed=15)
    assert only_out.zoom_in is None
    _close(only_out(x, None, coarser), zizom(only_out, x, None, coarser, None, None))
    with pytest.raises(ValueError, match=r'^ZoomInZoomOut was built with a zoom-in branch: '
                       r'pass `finer`$'):
        only_in(x)
    with pytest.raises(ValueError, match=r'^ZoomInZoomOut was built with a zoom-out branch: '
                       r'pass `coarser`$'):
        only_out(x)
    with pytest.raises(ValueError, match=r'^ZoomInZoomOut: a multi-channel `attention` needs '
                       r'a one-channel `neighbour_attention` for the neighbours$'):
        only_out(x, None, coarser, torch.ones(1, 2, 2, 2))
    # no neighbours at all: the normalised layer times its attention, fused
    alone = randomise(ZoomInZoomOut(2), seed=16)
    assert alone.fuse[0].in_channels == 2
    att = torch.rand(1, 2, 2, 2, generator=gen)
    _close(alone(x, attention=att, neighbour_attention=att[:, :1]),
           torch.relu(torch.nn.functional.conv2d(l2norm(x, alone.norm_cur.weight) * att,
                                                 alone.fuse[0].weight, alone.fuse[0].bias)))


def test_build_and_apply_zizoms_neighbours_at_the_ends():
    """The neighbours of input ``k`` are inputs ``k - 1`` and ``k + 1`` when they exist: the
    first input has no zoom-in, the last no zoom-out."""
    channels = (3, 4, 5)
    zizoms = build_zizoms((0, 1, 2), channels, (0, 1, 2), select_channels=2)
    assert zizoms['0'].zoom_in is None and zizoms['0'].zoom_out[0].in_channels == 4
    assert zizoms['1'].zoom_in[0].in_channels == 3 and zizoms['1'].zoom_out[0].in_channels == 5
    assert zizoms['2'].zoom_out is None and zizoms['2'].zoom_in[0].in_channels == 4
    assert [zizoms[k].norm_cur.num_channels for k in '012'] == [3, 4, 5]
    assert zizoms['1'].zoom_in[0].out_channels == 2
    assert build_zizoms((0, ), channels, (1, 2))['0'].zoom_in[0].out_channels == 2
    randomise(zizoms, seed=17)
    inputs = _inputs(6, channels, ((4, 4), (2, 2), (1, 1)), batch=1)
    atts = [torch.rand(1, 1, *x.shape[-2:]) for x in inputs]
    feats = list(inputs)
    apply_zizoms(zizoms, inputs, feats, (0, 1, 2), atts)
    _close(feats[0], zizom(zizoms['0'], inputs[0], None, inputs[1], atts[0], atts[0]))
    _close(feats[1], zizom(zizoms['1'], inputs[1], inputs[0], inputs[2], atts[1], atts[1]))
    _close(feats[2], zizom(zizoms['2'], inputs[2], inputs[1], None, atts[2], atts[2]))
    # separate neighbour attentions are passed to the neighbours only
    neighbours = [torch.rand(1, 1, *x.shape[-2:]) for x in inputs]
    feats = list(inputs)
    apply_zizoms(zizoms, inputs, feats, (0, 1, 2), atts, neighbours)
    _close(feats[1], zizom(zizoms['1'], inputs[1], inputs[0], inputs[2], atts[1],
                           neighbours[1]))
