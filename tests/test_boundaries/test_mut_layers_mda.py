# Copyright (c) mmped contributors. All rights reserved.
"""Values of HP-net's MDA branch (ICCV'17 sec. 3.2) with blocks that scale by known factors.

``F~^{i,k}_l = alpha^i_l * F^k`` passes through the branch's copies of blocks ``k+1 .. B``;
with blocks that multiply by ``s_b`` the output of level ``k``, channel ``l`` is
``alpha_l * F^k * prod_{b > k} s_b``, in channel order ``(t * L + l) * C_B + c``. Unshared
copies (the authors' layout) belong to one (level, channel) pair each.
"""
import math

import pytest
import torch
from torch import nn

from mmped.models.layers.multi_directional_attention import MDABranch, MultiDirectionalAttention

SCALES = (2.0, 3.0, 5.0)


def _blocks():
    blocks = []
    for s in SCALES:
        conv = nn.Conv2d(1, 1, 1, bias=False)
        nn.init.constant_(conv.weight, s)
        blocks.append(conv)
    return blocks


def _branch(**kwargs):
    torch.manual_seed(0)
    return MDABranch(_blocks(), [1, 1, 1], att_level=0, target_levels=[1, 0], num_channels=2,
                     attention_cfg=dict(norm_cfg=None, act_cfg=None), **kwargs).eval()


def _feats():
    g = torch.Generator().manual_seed(1)
    return [torch.rand(1, 1, 2, 2, generator=g) + 0.5 for _ in SCALES]


def _expected(alpha, feats, scale_of):
    chans = []
    for k in (0, 1):
        for c in range(2):
            chans.append(alpha[:, c:c + 1] * feats[k] *
                         math.prod(scale_of(k, c, b) for b in range(k + 1, 3)))
    return torch.cat(chans, dim=1)


@pytest.mark.parametrize('share', [True, False])
def test_branch_output_is_attention_times_level_through_later_blocks(share):
    branch = _branch(share_blocks=share)
    assert branch.target_levels == (0, 1) and branch.out_channels == 4
    out, alpha = branch(_feats())
    assert alpha.shape == (1, 2, 2, 2)
    torch.testing.assert_close(out, _expected(alpha, _feats(), lambda k, c, b: SCALES[b]))


def test_unshared_copies_belong_to_one_level_and_channel_and_reload_from_the_trunk():
    branch = _branch(share_blocks=False)
    assert sorted(branch.post_blocks) == ['0_0_1', '0_0_2', '0_1_1', '0_1_2', '1_0_2', '1_1_2']
    changed = {('1_1_2'): 7.0, ('0_0_1'): 11.0}
    for key, s in changed.items():
        nn.init.constant_(branch.post_blocks[key].weight, s)
    out, alpha = branch(_feats())
    torch.testing.assert_close(out, _expected(
        alpha, _feats(), lambda k, c, b: changed.get(f'{k}_{c}_{b}', SCALES[b])))
    branch.init_from_trunk(_blocks())
    out, alpha = branch(_feats())
    torch.testing.assert_close(out, _expected(alpha, _feats(), lambda k, c, b: SCALES[b]))
    # copies are independent of the trunk's modules
    trunk = _blocks()
    shared = MDABranch(trunk, [1, 1, 1], 0, [0], num_channels=1)
    nn.init.constant_(trunk[1].weight, 0.0)
    assert shared.post_blocks['1'].weight.item() == 3.0


def test_branch_embeddings_of_the_authors_layout():
    """GAP -> FC -> BN -> ReLU -> dropout per target level, (N, T * E, 1, 1)."""
    branch = _branch(share_blocks=False, embed_channels=3)
    assert branch.out_channels == 6
    emb = branch.embeds[0]
    assert emb[0].in_features == 2 and emb[0].out_features == 3 and emb[3].p == 0.5
    assert emb[2].inplace is True
    out, alpha = branch(_feats())
    maps = _expected(alpha, _feats(), lambda k, c, b: SCALES[b])
    expect = torch.cat([
        torch.relu(branch.embeds[t][0](maps[:, 2 * t:2 * t + 2].mean(dim=(2, 3))) /
                   math.sqrt(1 + 1e-5)) for t in (0, 1)], dim=1)
    assert out.shape == (1, 6, 1, 1)
    torch.testing.assert_close(out[:, :, 0, 0], expect)


def test_checkpointed_copies_give_the_same_values_and_gradients():
    plain, cp = _branch(), _branch(with_cp=True)
    assert plain.with_cp is False and cp.with_cp is True
    plain.train(), cp.train()
    grads = []
    for branch in (plain, cp):
        feats = [f.clone().requires_grad_() for f in _feats()]
        out, _ = branch(feats)
        out.sum().backward()
        grads.append((out.detach(), feats[1].grad, branch.post_blocks['2'].weight.grad))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


def test_branch_level_checks():
    with pytest.raises(ValueError, match='^an MDA branch needs at least one target level$'):
        MDABranch(_blocks(), [1, 1, 1], 0, [])
    for att, targets in ((0, [3]), (3, [1]), (-1, [1]), (0, [-1])):
        with pytest.raises(ValueError, match=r'out of range for 3 blocks'):
            MDABranch(_blocks(), [1, 1, 1], att, targets)
    assert MDABranch(_blocks(), [1, 1, 1], 2, [2]).target_levels == (2, )


def test_attention_defaults_sizes_and_resize_modes():
    """L = 8 by default; ``num_channels = 1`` is allowed, 0 is not; a (1, 2) map resized to
    (1, 4) is ``[a0, .75 a0 + .25 a1, .25 a0 + .75 a1, a1]`` bilinearly, repeated by nearest."""
    att = MultiDirectionalAttention(4)
    assert att.num_channels == 8 and att.conv.conv.out_channels == 8
    assert att.resize_mode == 'bilinear' and att.conv.with_norm and att.conv.with_activation
    assert MultiDirectionalAttention(4, num_channels=1).num_channels == 1
    with pytest.raises(ValueError, match='^num_channels must be >= 1, got 0$'):
        MultiDirectionalAttention(4, num_channels=0)
    alpha = torch.tensor([[[[1.0, 3.0]]]])
    feat = torch.full((1, 2, 1, 4), 2.0)
    out = att.attend(alpha, feat)
    assert out.shape == (1, 1, 2, 1, 4)
    assert out[0, 0, 0, 0].tolist() == [2.0, 3.0, 5.0, 6.0]
    near = MultiDirectionalAttention(4, resize_mode='nearest').attend(alpha, feat)
    assert near[0, 0, 1, 0].tolist() == [2.0, 2.0, 6.0, 6.0]
