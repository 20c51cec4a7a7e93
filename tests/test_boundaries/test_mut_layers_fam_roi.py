# Copyright (c) mmped contributors. All rights reserved.
"""Values of BUFF's foreground attention (sec. 4.2, Eq. 1 and 2) and of the RoI-op helpers.

- FAM is ``X_hat = X + X * a_l`` with ``a`` bilinearly resized (``align_corners=False``) to
  each level; the segmentation loss is the BCE against box masks rasterised at ``seg_stride``,
  averaged over all cells, times ``loss_weight``.
- ``mmped.RoIPool`` keeps the dtype of the features (CPU half precision pooled in float32),
  ``build_roi_layers`` gives one op per stride with ``spatial_scale = 1 / stride``.
"""
import math

import mmcv.ops
import pytest
import torch

from mmped.models.layers.foreground_attention import ForegroundAttention
from mmped.models.layers.roi_pool import RoIPool, build_roi_layers, roi_layer_class


def _bce(x, y):
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0) - x * y


def test_fam_defaults_follow_buff():
    fam = ForegroundAttention()
    assert fam.seg_conv.in_channels == 512 and fam.seg_conv.out_channels == 1
    assert fam.seg_conv.kernel_size == (1, 1)
    assert fam.seg_stride == 8 and fam.loss_weight == 1.0 and fam.detach_attention is False
    assert fam.init_cfg == dict(type='Normal', layer='Conv2d', std=0.01)
    x = torch.randn(1, 512, 2, 3)
    assert torch.equal(fam.seg_logits(x), fam.seg_conv(x))


def test_fam_attention_values_same_size_and_bilinear_resize():
    """``X + X * a``; a (1, 2) probability resized to (1, 4) with ``align_corners=False`` is
    ``[a0, 0.75 a0 + 0.25 a1, 0.25 a0 + 0.75 a1, a1]``."""
    fam = ForegroundAttention(in_channels=1)
    prob = torch.tensor([[[[0.2, 1.0]]]])
    same = torch.tensor([[[[1.0, 2.0]]]])
    wide = torch.full((1, 1, 1, 4), 2.0)
    out_same, out_wide = fam.attend([same, wide], prob)
    assert out_same[0, 0, 0].tolist() == pytest.approx([1.2, 4.0])
    assert out_wide[0, 0, 0].tolist() == pytest.approx([2.4, 2.8, 3.6, 4.0])


@pytest.mark.parametrize('detach', [False, True])
def test_fam_detach_attention_stops_the_gradient(detach):
    fam = ForegroundAttention(in_channels=1, detach_attention=detach)
    prob = torch.tensor([[[[0.5]]]], requires_grad=True)
    (out, ) = fam.attend([torch.full((1, 1, 1, 1), 3.0)], prob)
    assert out.item() == 4.5
    if detach:
        assert not out.requires_grad
    else:
        out.sum().backward()
        assert prob.grad.item() == 3.0


def test_fam_loss_is_mean_bce_against_strided_box_masks():
    """Box [0, 0, 8, 8] owns one stride-8 cell of a 2 x 2 map, box [8, 0, 16, 16] the right
    column; BCE is averaged over the 8 cells of the batch and scaled by ``loss_weight``."""
    fam = ForegroundAttention(in_channels=1, seg_stride=8, loss_weight=2.0)
    logits = torch.tensor([[[[2.0, -1.0], [0.0, 3.0]]], [[[1.0, 1.0], [-2.0, 0.5]]]])
    boxes = [torch.tensor([[0, 0, 8, 8]]), torch.tensor([[8.0, 0.0, 16.0, 16.0]])]
    targets = [[1, 0, 0, 0], [0, 1, 0, 1]]
    expect = sum(_bce(x, y) for row, t in zip(logits.flatten(1).tolist(), targets)
                 for x, y in zip(row, t)) / 8
    loss = fam.loss(logits, boxes)['loss_seg']
    assert loss.item() == pytest.approx(2.0 * expect, rel=1e-6)
    fam4 = ForegroundAttention(in_channels=1, seg_stride=4)
    targets4 = [[1, 1, 1, 1], [0, 0, 0, 0]]  # stride 4: the first box covers all 4 cells
    expect4 = sum(_bce(x, y) for row, t in zip(logits.flatten(1).tolist(), targets4)
                  for x, y in zip(row, t)) / 8
    assert fam4.loss(logits, boxes)['loss_seg'].item() == pytest.approx(expect4, rel=1e-6)


def test_roi_pool_sizes_repr_and_half_precision():
    pool = RoIPool(2, spatial_scale=1)
    assert pool.output_size == (2, 2) and isinstance(pool.spatial_scale, float)
    assert RoIPool([3, 1]).output_size == (3, 1)
    assert repr(pool) == 'RoIPool(output_size=(2, 2), spatial_scale=1.0)'
    x = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]], dtype=torch.float64)
    full = pool(x, rois)
    assert full[0, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]
    for dtype in (torch.float16, torch.bfloat16):
        half = pool(x.to(dtype), rois)
        assert half.dtype == dtype and half.float().tolist() == full.tolist()


def test_roi_layer_lookup_and_one_layer_per_stride():
    assert roi_layer_class('mmped.RoIPool') is RoIPool
    assert roi_layer_class('RoIAlign') is mmcv.ops.RoIAlign
    assert roi_layer_class(RoIPool) is RoIPool
    with pytest.raises(KeyError, match=r"unknown RoI op 'Nope': use \['mmped.RoIPool'\] or an "
                       r'mmcv.ops name'):
        roi_layer_class('Nope')
    cfg = dict(type='mmped.RoIPool', output_size=7)
    layers = build_roi_layers(cfg, [4, 16])
    assert cfg == dict(type='mmped.RoIPool', output_size=7)  # the caller's config is kept
    assert [type(m) for m in layers] == [RoIPool, RoIPool]
    assert [m.spatial_scale for m in layers] == [0.25, 0.0625]
    assert all(m.output_size == (7, 7) for m in layers)
