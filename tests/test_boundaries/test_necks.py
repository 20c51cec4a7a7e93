# Copyright (c) mmped contributors. All rights reserved.
"""Values, not shapes, of GDFL's zoom-in-zoom-out module (mmped/models/necks).

The 1x1 convs are set to identities so that the output exposes the parameter-free resampling:
adaptive max-pooling of the finer neighbour (an average pool gives other values) and bilinear
interpolation (``align_corners=False``) of the coarser one, both recomputed here with numpy.
"""
import numpy as np
import pytest
import torch

from mmped.models.layers import L2Norm
from mmped.models.necks import ZoomInZoomOut


def _l2n(x, scale=10.0):
    return scale * x / np.sqrt((x**2).sum(1, keepdims=True))


def _max_pool_blocks(x, size):
    """Adaptive max pool when the input size is a multiple of ``size`` (equal blocks)."""
    n, c, h, w = x.shape
    bh, bw = h // size[0], w // size[1]
    return x.reshape(n, c, size[0], bh, size[1], bw).max(axis=(3, 5))


def _bilinear(x, size):
    """Bilinear resize with half-pixel centres (``align_corners=False``)."""
    def taps(n_in, n_out):
        src = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        return i0, i1, src - i0

    y0, y1, ly = taps(x.shape[2], size[0])
    x0, x1, lx = taps(x.shape[3], size[1])
    rows = x[:, :, y0] * (1 - ly)[:, None] + x[:, :, y1] * ly[:, None]
    return rows[..., x0] * (1 - lx) + rows[..., x1] * lx


def _identity_zizom():
    m = ZoomInZoomOut(2, zoom_in_channels=2, zoom_out_channels=2, select_channels=2,
                      out_channels=6)
    with torch.no_grad():
        for conv in (m.zoom_in[0], m.zoom_out[0], m.fuse[0]):
            conv.weight.copy_(torch.eye(conv.out_channels)[:, :, None, None])
            conv.bias.zero_()
    return m


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    cur = rng.uniform(0.1, 1.0, size=(1, 2, 2, 3))
    fine = rng.uniform(0.1, 1.0, size=(1, 2, 4, 6))
    coarse = rng.uniform(0.1, 1.0, size=(1, 2, 1, 2))
    return cur, fine, coarse


def test_zizom_resamples_by_max_pool_and_bilinear_interpolation():
    cur, fine, coarse = _inputs()
    out = _identity_zizom()(*(torch.tensor(a, dtype=torch.float32) for a in (cur, fine, coarse)))
    expected = np.concatenate([_l2n(cur), _l2n(_max_pool_blocks(fine, (2, 3))),
                               _l2n(_bilinear(coarse, (2, 3)))], axis=1)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)
    # an average pool would give other values: the test can tell them apart
    avg = fine.reshape(1, 2, 2, 2, 3, 2).mean(axis=(3, 5))
    assert not np.allclose(_l2n(avg), expected[:, 2:4], rtol=1e-3)


def test_zizom_per_channel_attention_at_non_zero_values():
    """Each part is L2-normalised first, then encoded: the current layer by its (per-channel)
    attention, both resampled neighbours by the one-channel spatial attention (the reading of
    Sec. III-C in mmped/models/necks/zoom_in_zoom_out.py: the attention survives the norm)."""
    cur, fine, coarse = _inputs(1)
    rng = np.random.default_rng(2)
    att = rng.uniform(0.2, 3.0, size=(1, 2, 2, 3))
    spatial = rng.uniform(0.2, 3.0, size=(1, 1, 2, 3))
    out = _identity_zizom()(*(torch.tensor(a, dtype=torch.float32)
                              for a in (cur, fine, coarse, att, spatial)))
    expected = np.concatenate([_l2n(cur) * att, _l2n(_max_pool_blocks(fine, (2, 3))) * spatial,
                               _l2n(_bilinear(coarse, (2, 3))) * spatial], axis=1)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match='one-channel `neighbour_attention`'):
        _identity_zizom()(*(torch.tensor(a, dtype=torch.float32)
                            for a in (cur, fine, coarse, att)))


def test_zizom_single_branch_and_missing_neighbour_errors():
    m = ZoomInZoomOut(2, zoom_out_channels=2, select_channels=2)
    assert m.zoom_in is None and m.fuse[0].in_channels == 4 and m.out_channels == 2
    with pytest.raises(ValueError, match='coarser'):
        m(torch.ones(1, 2, 2, 2))
    default = ZoomInZoomOut(8, zoom_in_channels=4)
    assert default.zoom_in[0].out_channels == 4 and default.fuse[0].in_channels == 12


def test_l2norm_value_and_learned_scale():
    norm = L2Norm(2, scale=20.0)
    x = torch.tensor([[[[3.0]], [[4.0]]]])
    np.testing.assert_allclose(norm(x).detach().flatten().numpy(), [12.0, 16.0], rtol=1e-6)
    with torch.no_grad():
        norm.weight.copy_(torch.tensor([1.0, 2.0]))
    np.testing.assert_allclose(norm(x).detach().flatten().numpy(), [0.6, 1.6], rtol=1e-6)
    assert torch.equal(norm(torch.zeros(1, 2, 1, 1)), torch.zeros(1, 2, 1, 1))
