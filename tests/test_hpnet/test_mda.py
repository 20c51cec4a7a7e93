# Copyright (c) mmped contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmped.models.backbones import BNInception
from mmped.models.layers import MDABranch, MultiDirectionalAttention


@pytest.fixture(scope='module')
def trunk():
    torch.manual_seed(0)
    model = BNInception(widen_factor=0.0625).eval()
    x = torch.randn(2, 3, 64, 32)
    with torch.no_grad():
        feats = model.forward_all(x)
    return model, feats


def test_attention_is_relu_bn_conv1x1():
    att = MultiDirectionalAttention(6, num_channels=3).eval()
    with torch.no_grad():
        att.conv.bn.running_mean.uniform_(-1, 1)
    feat = torch.randn(2, 6, 5, 4)
    conv, bn = att.conv.conv, att.conv.bn
    expected = F.relu(F.batch_norm(F.conv2d(feat, conv.weight, conv.bias), bn.running_mean,
                                   bn.running_var, bn.weight, bn.bias, eps=bn.eps))
    alpha = att(feat)
    assert alpha.shape == (2, 3, 5, 4)
    assert torch.allclose(alpha, expected, atol=1e-6)
    assert (alpha == 0).any() and (alpha >= 0).all()
    # attend: channel l of alpha times every channel of F^k, alpha resized to F^k's size
    target = torch.randn(2, 7, 3, 2)
    out = att.attend(alpha, target)
    assert out.shape == (2, 3, 7, 3, 2)
    small = F.interpolate(alpha, size=(3, 2), mode='bilinear', align_corners=False)
    assert torch.allclose(out[:, 1, 4], small[:, 1] * target[:, 4])


def test_branch_shapes_and_block_copies(trunk):
    model, feats = trunk
    branch = MDABranch(model.blocks, model.block_channels, att_level=1, target_levels=(0, 1, 2),
                       num_channels=2)
    assert sorted(branch.post_blocks.keys()) == ['1', '2']
    out, alpha = branch(feats)
    c3, h3, w3 = feats[2].shape[1:]
    assert out.shape == (2, 3 * 2 * c3, h3, w3) and branch.out_channels == 3 * 2 * c3
    assert alpha.shape == (2, 2, *feats[1].shape[-2:])
    naive = MDABranch(model.blocks, model.block_channels, att_level=2, target_levels=(2, ))
    assert len(naive.post_blocks) == 0
    with pytest.raises(ValueError, match='out of range'):
        MDABranch(model.blocks, model.block_channels, att_level=3, target_levels=(0, ))


def _branch(trunk, att_level, targets, num_channels=2):
    model, feats = trunk
    torch.manual_seed(1)
    branch = MDABranch(model.blocks, model.block_channels, att_level=att_level,
                       target_levels=targets, num_channels=num_channels).eval()
    return branch, feats


def test_last_level_chunk_is_attention_times_feature(trunk):
    """Hand check: with target k = last block nothing follows, so chunk = alpha_l * F^3."""
    branch, feats = _branch(trunk, 0, (0, 2))
    with torch.no_grad():
        out, alpha = branch(feats)
    c3 = feats[2].shape[1]
    resized = F.interpolate(alpha, size=feats[2].shape[-2:], mode='bilinear',
                            align_corners=False)
    last = out[:, 2 * c3:].reshape(2, 2, c3, *feats[2].shape[-2:])
    for ch in range(2):
        assert torch.allclose(last[:, ch], resized[:, ch:ch + 1] * feats[2], atol=1e-6)


@pytest.mark.parametrize('att_level', [0, 1, 2])
def test_each_attention_channel_multiplies_the_target_blocks(trunk, att_level):
    """Perturbing attention channel l changes exactly the L-slices of channel l."""
    branch, feats = _branch(trunk, att_level, (0, 1, 2), num_channels=3)
    c3 = feats[2].shape[1]
    with torch.no_grad():
        base, _ = branch(feats)
    for ch in range(3):
        def bump(module, args, output, ch=ch):
            output = output.clone()
            output[:, ch] = output[:, ch] * 3 + 0.5
            return output

        handle = branch.attention.register_forward_hook(bump)
        with torch.no_grad():
            out, _ = branch(feats)
        handle.remove()
        changed = (out - base).abs().flatten(2).amax(2).amax(0)  # (3 * 3 * C3, )
        changed = changed.reshape(3, 3, c3).amax(2) > 1e-6  # (target, channel)
        expected = torch.zeros(3, 3, dtype=torch.bool)
        expected[:, ch] = True
        assert torch.equal(changed, expected), (ch, changed)


def test_each_target_block_feeds_only_its_chunk(trunk):
    """Attention from block 3 applied to blocks 1 and 2: F^1 only reaches the first chunk."""
    branch, feats = _branch(trunk, 2, (0, 1))
    c3 = feats[2].shape[1]
    with torch.no_grad():
        base, _ = branch(feats)
        for k in (0, 1):
            perturbed = list(feats)
            perturbed[k] = feats[k] * 2 + 1
            out, _ = branch(perturbed)
            diff = (out - base).abs().flatten(2).amax(2).amax(0).reshape(2, 2 * c3)
            changed = diff.amax(1) > 1e-6
            assert changed.tolist() == [k == 0, k == 1]
        # the attention source is block 3: perturbing it changes every chunk
        perturbed = [feats[0], feats[1], feats[2] * 2 + 1]
        out, _ = branch(perturbed)
        assert ((out - base).abs().reshape(2, 2, -1).amax(2) > 1e-6).all()


def test_init_from_trunk_copies_blocks(trunk):
    model, feats = trunk
    branch = MDABranch(model.blocks, model.block_channels, att_level=0, target_levels=(0, ))
    with torch.no_grad():
        for p in branch.post_blocks.parameters():
            p.add_(1.0)
    branch.init_from_trunk(model.blocks)
    for key, block in branch.post_blocks.items():
        ref = model.blocks[int(key)].state_dict()
        assert all(torch.equal(v, ref[k]) for k, v in block.state_dict().items())
