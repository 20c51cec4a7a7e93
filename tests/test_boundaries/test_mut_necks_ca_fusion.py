# Copyright (c) mmped contributors. All rights reserved.
"""Values of CA-GDFL's channel-adaptive attention neck and Da-HAR's multi-level fusion block
against functional re-implementations (random seeded parameters, non-square maps), the
stride check at its one-cell boundary, every argument check with its message and every
default."""
import pytest
import torch
import torch.nn.functional as F

from mmped.models.necks import ChannelAdaptiveAttention, MultiLevelFusion
from mmped.models.necks.channel_adaptive_attention import _AttentionSegBranch
from mmped.models.necks.strides import image_size_from_strides

from .neck_reference import channel_adaptive, randomise

CHANNELS = (3, 4, 5, 4, 2)
SIZES = ((8, 12), (4, 6), (2, 3), (1, 1), (1, 1))  # a 32 x 48 image at strides 4-64


def _inputs(seed=1, channels=CHANNELS, sizes=SIZES, batch=2):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, h, w, generator=gen) for c, (h, w) in zip(channels, sizes)]


def _close(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('channel_adaptive_att', [True, False])
def test_channel_adaptive_values_with_seg_and_zizom(channel_adaptive_att):
    """Seg logits at image / seg_stride: 32 / 3 rounds to 11, 48 / 3 to 16 (not 10 / 16 by
    truncation). The ZIZOM on the second detection layer gets that layer's full attention and
    its channel mean for the neighbours."""
    neck = randomise(ChannelAdaptiveAttention(
        CHANNELS, feat_channels=3, seg_stride=3, channel_adaptive=channel_adaptive_att,
        zizom_layers=(1, ), zizom_channels=3), seed=2)
    # 3 ZIZOM channels, not the default C // 2 = 2 of the 5-channel layer
    assert neck.zizoms['1'].zoom_in[0].out_channels == 3
    assert neck.in_channels == list(CHANNELS)
    inputs = _inputs()
    feats, segs = neck(inputs, return_masks=True)
    exp_feats, exp_atts, exp_segs = channel_adaptive(neck, inputs, (11, 16), (1, 2, 3, 4), (1, ))
    assert [a.shape[1] for a in exp_atts] == ([4, 5, 4, 2] if channel_adaptive_att else [1] * 4)
    assert len(feats) == 4 and len(segs) == 4
    for f, e in zip(feats, exp_feats):
        _close(f, e)
    for s, e in zip(segs, exp_segs):
        assert s.shape == (2, 2, 11, 16)
        _close(s, e)
    plain = neck(inputs)
    assert isinstance(plain, tuple) and len(plain) == 4
    for f, e in zip(plain, exp_feats):
        _close(f, e)
    for m, a in zip(neck.attention_maps(inputs), exp_atts):
        _close(m, a.mean(1, keepdim=True))


def test_channel_adaptive_defaults_and_without_seg():
    neck = ChannelAdaptiveAttention(CHANNELS)
    assert neck.in_strides == [4, 8, 16, 32, 64] and neck.det_indices == (1, 2, 3, 4)
    assert neck.seg_stride == 4 and neck.with_seg and len(neck.zizoms) == 0
    assert neck.branches[0].shared[0].out_channels == 256
    assert [b.att.out_channels for b in neck.branches] == [4, 5, 4, 2]
    assert neck.init_cfg == dict(type='Xavier', layer='Conv2d', distribution='uniform')
    assert ChannelAdaptiveAttention(CHANNELS, init_cfg=dict(type='Normal')).init_cfg == \
        dict(type='Normal')
    branch = neck.branches[1]
    convs = [m for m in branch.shared if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3 and all(c.kernel_size == (3, 3) and c.padding == (1, 1)
                                   for c in convs + [branch.att])
    assert branch.seg_reduce.kernel_size == (1, 1) and branch.seg_reduce.out_channels == 2
    assert branch.seg_pred.in_channels == 2 and branch.seg_pred.out_channels == 2
    # default seg_stride 4: 32 x 48 / 4 = 8 x 12
    small = randomise(ChannelAdaptiveAttention(CHANNELS, feat_channels=2), seed=3)
    inputs = _inputs(2)
    _, segs = small(inputs, return_masks=True)
    _close(segs[0], channel_adaptive(small, inputs, (8, 12), (1, 2, 3, 4))[2][0])
    # without the segmentation branch: no seg layers, no logits, the same attention
    no_seg = randomise(ChannelAdaptiveAttention(CHANNELS, feat_channels=2, with_seg=False),
                       seed=3)
    assert no_seg.branches[0].seg_reduce is None and no_seg.branches[0].seg_pred is None
    feats, segs = no_seg(inputs, return_masks=True)
    assert segs is None
    for f, e in zip(feats, channel_adaptive(no_seg, inputs, None, (1, 2, 3, 4))[0]):
        _close(f, e)
    with pytest.raises(ValueError, match=r'^5 in_channels but 4 in_strides$'):
        ChannelAdaptiveAttention(CHANNELS, in_strides=(4, 8, 16, 32))


def test_attention_seg_branch_attention_only_without_size():
    branch = randomise(_AttentionSegBranch(3, 2, 3, with_seg=True), seed=4)
    x = _inputs(3, (3, ), ((4, 5), ))[0]
    att, seg = branch(x)
    assert seg is None and att.shape == (2, 3, 4, 5)
    att2, seg2 = branch(x, (6, 7))
    torch.testing.assert_close(att, att2)
    assert seg2.shape == (2, 2, 6, 7)
    assert _AttentionSegBranch(3, 2, 1, with_seg=False)(x, (6, 7))[1] is None


def test_stride_check_at_its_one_cell_boundary():
    """A level must be strictly within one cell of ``image / stride`` in each dimension: half a
    cell off (ceil-mode layers) passes, one cell off fails, in height or in width alone."""
    ok = _inputs(4, (1, 1), ((8, 12), (5, 6)))  # 32 / 8 = 4: 5 is 1 off
    with pytest.raises(ValueError, match=r'^neck input 1 is \(5, 6\) but in_strides\[1\] = 8 '
                       r'expects about \(4, 6\) for the 32 x 48 image implied by input 0 '
                       r'\(stride 4\): check in_strides$'):
        image_size_from_strides(ok, (4, 8))
    wide = _inputs(4, (1, 1), ((8, 12), (4, 5)))  # 48 / 8 = 6: 5 is 1 off in width only
    with pytest.raises(ValueError, match=r'neck input 1 is \(4, 5\)'):
        image_size_from_strides(wide, (4, 8))
    # stride 64 on 32 x 48: 0.5 x 0.75 expected, 1 x 1 is within one cell
    half = _inputs(4, (1, 1), ((8, 12), (1, 1)))
    assert image_size_from_strides(half, (4, 64)) == (32, 48)
    # non-integer expectation printed with %g; the finest level is the one of least stride
    odd = _inputs(4, (1, 1), ((3, 3), (8, 12)))
    with pytest.raises(ValueError, match=r'expects about \(1, 1\.5\) for the 32 x 48 '
                       r'image implied by input 1 \(stride 4\)'):
        image_size_from_strides(odd, (32, 4))
    with pytest.raises(ValueError, match=r'^2 neck inputs but 3 in_strides$'):
        image_size_from_strides(half, (4, 8, 16))


def _bn_eval(bn, seed):
    """Random running statistics for an eval-mode BatchNorm."""
    gen = torch.Generator().manual_seed(seed)
    bn.running_mean.copy_(torch.randn(bn.num_features, generator=gen))
    bn.running_var.copy_(0.5 + torch.rand(bn.num_features, generator=gen))


def _fusion(in_channels, out, seed=5, **kw):
    neck = randomise(MultiLevelFusion(in_channels, out_channels=out, num_blocks=0, **kw), seed)
    for i, lateral in enumerate(neck.lateral_convs):
        if len(lateral) > 1 and isinstance(lateral[1], torch.nn.BatchNorm2d):
            _bn_eval(lateral[1], seed + i)
    return neck.eval()


def _lateral(lateral, x):
    conv, bn = lateral[0], lateral[1]
    y = F.conv2d(x, conv.weight, conv.bias)
    y = F.batch_norm(y, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps)
    return F.relu(y)


def _resample(x, size, mode):
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if x.shape[-2] >= size[0] and x.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(x, size)
    align = False if mode in ('bilinear', 'bicubic') else None
    return F.interpolate(x, size=size, mode=mode, align_corners=align)


@pytest.mark.parametrize('fusion', ['sum', 'concat'])
@pytest.mark.parametrize('mode', ['bilinear', 'nearest'])
def test_multi_level_fusion_values(fusion, mode):
    """Conv-BN-ReLU per level, average pooling down to the middle level, interpolation up,
    sum / concat; a level taller but narrower than the target is interpolated (not pooled)."""
    sizes = ((8, 12), (4, 6), (2, 3), (8, 3))
    inputs = _inputs(6, (2, 3, 4, 2), sizes)
    neck = _fusion((2, 3, 4, 2), 3, fusion=fusion, upsample_mode=mode)
    assert neck.target_level == 1 and neck.out_channels == (12 if fusion == 'concat' else 3)
    levels = [_resample(_lateral(lat, x), (4, 6), mode)
              for lat, x in zip(neck.lateral_convs, inputs)]
    expected = sum(levels) if fusion == 'sum' else torch.cat(levels, 1)
    _close(neck(inputs), expected)


@pytest.mark.parametrize('mode', ['bilinear', 'nearest'])
def test_multi_level_fusion_pool_or_interpolate_at_equal_sides(mode):
    """A level is pooled when it is at least the target on both sides (``>=``, not ``>``): one
    of equal height and wider (4 x 9 -> 4 x 6) and one taller of equal width (7 x 6) are
    average-pooled, not interpolated (non-integer ratios, where the two differ)."""
    sizes = ((8, 12), (4, 6), (4, 9), (7, 6))
    inputs = _inputs(9, (2, 3, 2, 3), sizes)
    neck = _fusion((2, 3, 2, 3), 3, seed=10, target_level=1, upsample_mode=mode)
    lats = [_lateral(lat, x) for lat, x in zip(neck.lateral_convs, inputs)]
    expected = sum(F.adaptive_avg_pool2d(y, (4, 6)) for y in lats)
    _close(neck(inputs), expected)
    interpolated = F.interpolate(lats[2], size=(4, 6), mode=mode)
    assert (interpolated - F.adaptive_avg_pool2d(lats[2], (4, 6))).abs().max() > 1e-3


def test_multi_level_fusion_target_level_and_blocks():
    """A negative ``target_level`` counts from the end; the fused map goes through the residual
    blocks (here one basic block, applied to the reference's fused map)."""
    inputs = _inputs(7, (2, 3, 4), ((8, 12), (4, 6), (2, 3)))
    neck = randomise(MultiLevelFusion((2, 3, 4), out_channels=4, target_level=-1, num_blocks=1,
                                      block='basic'), seed=8).eval()
    assert neck.target_level == 2 and len(neck.blocks) == 1
    levels = [_resample(_lateral(lat, x), (2, 3), 'bilinear')
              for lat, x in zip(neck.lateral_convs, inputs)]
    _close(neck(inputs), neck.blocks(sum(levels)))
    first = MultiLevelFusion((2, 3, 4), out_channels=4, target_level=-3, num_blocks=0)
    assert first.target_level == 0 and first.eval()(inputs).shape == (2, 4, 8, 12)
    assert MultiLevelFusion((2, 3, 4), out_channels=4, target_level=2, num_blocks=0) \
        .target_level == 2


def test_multi_level_fusion_defaults_and_errors():
    neck = MultiLevelFusion((8, 16))
    assert neck.target_level == 1 and neck.fusion == 'sum' and neck.upsample_mode == 'bilinear'
    assert neck.out_channels == 1024 and len(neck.blocks) == 2
    assert type(neck.blocks[0]).__name__ == 'Bottleneck'
    lateral = neck.lateral_convs[0]
    assert isinstance(lateral[1], torch.nn.BatchNorm2d) and isinstance(lateral[2], torch.nn.ReLU)
    assert lateral[0].kernel_size == (1, 1) and lateral[0].out_channels == 1024
    assert neck.init_cfg == dict(type='Normal', std=0.01, layer='Conv2d')
    custom = MultiLevelFusion((8, 16), out_channels=8, num_blocks=0,
                              norm_cfg=dict(type='GN', num_groups=2),
                              act_cfg=dict(type='LeakyReLU'))
    assert isinstance(custom.lateral_convs[1][1], torch.nn.GroupNorm)
    assert isinstance(custom.lateral_convs[1][2], torch.nn.LeakyReLU)
    # the residual blocks take the same norm
    blocks = MultiLevelFusion((8, 16), out_channels=8, num_blocks=1,
                              norm_cfg=dict(type='GN', num_groups=2))
    norms = [m for m in blocks.blocks.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert norms and not any(isinstance(m, torch.nn.BatchNorm2d) for m in blocks.modules())
    with pytest.raises(ValueError, match=r'^in_channels must name at least one level$'):
        MultiLevelFusion([])
    for bad in (2, -3):
        with pytest.raises(ValueError, match=rf'^target_level {bad} out of range for 2 '
                           r'levels$'):
            MultiLevelFusion((8, 16), target_level=bad)
    with pytest.raises(ValueError, match=r"^fusion must be 'sum' or 'concat', got 'max'$"):
        MultiLevelFusion((8, 16), fusion='max')
    neck = MultiLevelFusion((2, 2), out_channels=4, num_blocks=0)
    with pytest.raises(ValueError, match=r'^expected 2 levels, got 1$'):
        neck([torch.ones(1, 2, 2, 2)])
