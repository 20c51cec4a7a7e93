# Copyright (c) mmped contributors. All rights reserved.
"""The necks' ``in_strides`` (issue 17 remainder, item 4): every level's stride is checked and
the image size for the attention / segmentation maps comes from the finest level."""
import pytest
import torch

from mmped.models.necks import ChannelAdaptiveAttention, GraininessAttention
from mmped.models.necks.strides import image_size_from_strides

CHANNELS = (4, 8, 8, 8, 4)


def _feats(*sizes):
    return [torch.randn(1, c, h, w) for c, (h, w) in zip(CHANNELS, sizes)]


def test_image_size_from_the_finest_level():
    # a 100 x 100 image through SSD's ceil-mode VGG: 25, 13, 7, 4, 2
    feats = _feats((25, 25), (13, 13), (7, 7), (4, 4), (2, 2))
    assert image_size_from_strides(feats, (4, 8, 16, 32, 64)) == (100, 100)
    # the finest level need not come first
    assert image_size_from_strides(feats[::-1], (64, 32, 16, 8, 4)) == (100, 100)
    # floor-mode sizes are accepted as well (96 x 128: 24 x 32, 12 x 16, 6 x 8)
    assert image_size_from_strides(_feats((24, 32), (12, 16), (6, 8))[:3], (4, 8, 16)) == \
        (96, 128)


def test_a_level_one_cell_off_its_stride_is_an_error():
    ok = _feats((24, 24), (12, 12), (6, 6))
    assert image_size_from_strides(ok, (4, 8, 16)) == (96, 96)
    # 96 / 8 = 12 exactly: 13 is one cell off (the bound), named with its index
    with pytest.raises(ValueError, match=r'neck input 1 is \(13, 12\).*in_strides\[1\] = 8'):
        image_size_from_strides(_feats((24, 24), (13, 12), (6, 6)), (4, 8, 16))
    with pytest.raises(ValueError, match='3 neck inputs but 2 in_strides'):
        image_size_from_strides(ok, (4, 8))


def test_non_default_strides_gdfl():
    """A backbone whose conv6_2 keeps stride 16: the default list is refused, its own list runs."""
    feats = _feats((16, 16), (8, 8), (4, 4), (4, 4), (2, 2))
    kw = dict(in_channels=CHANNELS, mask_channels=8, mask_stride=2)
    with pytest.raises(ValueError, match=r'neck input 3 is \(4, 4\).*expects about \(2, 2\)'):
        GraininessAttention(**kw)(feats, return_masks=True)
    neck = GraininessAttention(in_strides=(4, 8, 16, 16, 32), **kw)
    outs, logits = neck(feats, return_masks=True)
    assert logits.shape == (1, 3, 32, 32)  # 64 x 64 image / mask_stride 2
    assert [o.shape[-1] for o in outs] == [8, 4, 4, 2]
    # all strides halved (a 64 x 64 image instead of 128 x 128): maps at the image size
    neck = GraininessAttention(in_strides=(2, 4, 8, 16, 32), **kw)
    assert neck(_feats((32, 32), (16, 16), (8, 8), (4, 4), (2, 2)), return_masks=True)[1] \
        .shape == (1, 3, 32, 32)


def test_ca_gdfl_segmentation_size_from_the_finest_level():
    """100 x 100 image: conv3_3 is 25 cells at stride 4, conv4_3 13 at stride 8 (ceil). The
    segmentation maps are image / seg_stride = 25, not conv4_3's 13 x 8 / 4 = 26."""
    feats = _feats((25, 25), (13, 13), (7, 7), (4, 4), (2, 2))
    neck = ChannelAdaptiveAttention(in_channels=CHANNELS, feat_channels=4, seg_stride=4)
    _, segs = neck(feats, return_masks=True)
    assert len(segs) == 4 and all(s.shape == (1, 2, 25, 25) for s in segs)
    neck = ChannelAdaptiveAttention(in_channels=CHANNELS, in_strides=(4, 8, 16, 16, 32),
                                    feat_channels=4, seg_stride=2)
    _, segs = neck(_feats((16, 16), (8, 8), (4, 4), (4, 4), (2, 2)), return_masks=True)
    assert all(s.shape == (1, 2, 32, 32) for s in segs)
    neck.in_strides = [4, 8, 16, 32, 64]
    with pytest.raises(ValueError, match='neck input 3'):
        neck(_feats((16, 16), (8, 8), (4, 4), (4, 4), (2, 2)), return_masks=True)
