# Copyright (c) mmped contributors. All rights reserved.
"""ZIZOM keeps the attention it is given (issue 17 item 1).

A per-position L2 normalisation cancels any per-position attention applied before it, so these
tests scale the attention and check that the ZIZOM output scales with it, on hand-computed
tensors and through both necks.
"""
import math

import torch

from mmped.models import ChannelAdaptiveAttention, GraininessAttention, ZoomInZoomOut

from .gdfl_testutils import TINY_CHANNELS


def _inputs(size: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(1, c, size // s, size // s, generator=g) + 0.1
            for c, s in zip(TINY_CHANNELS, (4, 8, 16, 32, 64))]


def test_zizom_hand_computed_current_part_scales_with_attention():
    """Fuse conv selecting the current layer: output = relu(a * 10 * x / ||x||)."""
    m = ZoomInZoomOut(2, zoom_in_channels=1, zoom_out_channels=1, select_channels=1)
    with torch.no_grad():
        m.fuse[0].weight.zero_()
        m.fuse[0].weight[0, 0] = 1.  # output channel 0 <- current channel 0
        m.fuse[0].weight[1, 1] = 1.  # output channel 1 <- current channel 1
        m.fuse[0].bias.zero_()
    # positions: (3, 6) and (0, 1) -> normalised to 10 * (0.4472, 0.8944) and 10 * (0, 1)
    x = torch.tensor([[[[3., 0.]], [[6., 1.]]]])  # (1, 2, 1, 2)
    att = torch.tensor([[[[0.5, 0.25]]]])  # (1, 1, 1, 2)
    out = m(x, torch.rand(1, 1, 2, 4), torch.rand(1, 1, 1, 1), att)
    expected = torch.tensor([[[[0.5 * 10 * 3 / math.sqrt(45), 0.]],
                              [[0.5 * 10 * 6 / math.sqrt(45), 0.25 * 10.]]]])
    torch.testing.assert_close(out, expected)


def test_zizom_neighbours_scale_with_attention():
    """Fuse conv selecting the zoom-in neighbour only: doubling the attention doubles it."""
    m = ZoomInZoomOut(2, zoom_in_channels=3, select_channels=1)
    with torch.no_grad():
        m.fuse[0].weight.zero_()
        m.fuse[0].weight[:, 2] = 1.  # both outputs <- the normalised zoom-in channel
        m.fuse[0].bias.zero_()
        m.zoom_in[0].weight.fill_(1.)
        m.zoom_in[0].bias.zero_()
    x, finer = torch.rand(1, 2, 2, 2), torch.rand(1, 3, 4, 4) + 0.1
    att = torch.full((1, 1, 2, 2), 0.3)
    out = m(x, finer, None, att)
    # one selected channel normalised per position -> 10, times the attention
    torch.testing.assert_close(out, torch.full((1, 2, 2, 2), 3.))
    torch.testing.assert_close(m(x, finer, None, 2 * att), 2 * out)


def test_gdfl_neck_zizom_layer_depends_on_attention():
    """GDFL's conv4_3 (ZIZOM) output is linear in the small-pedestrian map (bias-free fuse)."""
    inputs = _inputs()
    neck = GraininessAttention(list(TINY_CHANNELS), mask_channels=8, zizom_layers=(0, ))
    outs = []
    for small in (0.2, 0.6):
        with torch.no_grad():
            neck.fuse.weight.zero_()
            # softmax over (bg, small, large) = (1 - small - 0.2, small, 0.2)
            probs = torch.tensor([0.8 - small, small, 0.2])
            neck.fuse.bias.copy_(probs.log())
            neck.zizoms['0'].fuse[0].bias.zero_()
        outs.append(neck(inputs))
    assert outs[0][0].abs().sum() > 0
    torch.testing.assert_close(outs[1][0], 3 * outs[0][0], rtol=1e-4, atol=1e-6)
    # the layer without ZIZOM keeps plain eq. 1 encoding
    torch.testing.assert_close(outs[1][1], 3 * outs[0][1], rtol=1e-4, atol=1e-6)


def test_gdfl_neck_zizom_keeps_channel_attention():
    """With SE channel attention, the ZIZOM current part carries the SE gate too."""
    inputs = _inputs()
    neck = GraininessAttention(list(TINY_CHANNELS), mask_channels=8, zizom_layers=(0, ),
                               channel_attention=True)
    outs = []
    for bias in (0., math.log(3.)):  # SE gate 0.5, then 0.75 on every channel
        with torch.no_grad():
            last = neck.channel_att[0].fc[2]
            last.weight.zero_()
            last.bias.fill_(bias)
            fuse = neck.zizoms['0'].fuse[0]
            fuse.bias.zero_()
            # only the current part (first C channels) feeds the output
            fuse.weight[:, TINY_CHANNELS[1]:] = 0.
        outs.append(neck(inputs)[0])
    assert outs[0].abs().sum() > 0
    torch.testing.assert_close(outs[1], 1.5 * outs[0], rtol=1e-4, atol=1e-6)


def test_ca_gdfl_neck_zizom_layer_depends_on_attention():
    """CA-GDFL's conv4_3 (ZIZOM) output is linear in a uniform channel-adaptive attention."""
    inputs = _inputs()
    neck = ChannelAdaptiveAttention(list(TINY_CHANNELS), feat_channels=8, zizom_layers=(0, ))
    outs = []
    for bias in (0., math.log(3.)):  # sigmoid: 0.5, then 0.75
        with torch.no_grad():
            neck.branches[0].att.weight.zero_()
            neck.branches[0].att.bias.fill_(bias)
            neck.zizoms['0'].fuse[0].bias.zero_()
        outs.append(neck(inputs)[0])
    assert outs[0].abs().sum() > 0
    torch.testing.assert_close(outs[1], 1.5 * outs[0], rtol=1e-4, atol=1e-6)
