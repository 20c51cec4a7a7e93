# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR building blocks: self-mask block, multi-level fusion, masked-attention head."""
import pytest
import torch
import torch.nn.functional as F

from mmped.models import MaskBlock, MaskedAttentionHead, MultiLevelFusion, SelfMaskBlock


def _init(module):
    module.init_weights()
    return module


def test_mask_block_keeps_normal_init_and_shapes():
    torch.manual_seed(0)  # the last conv has only 16 weights: keep their sample std stable
    block = _init(MaskBlock(64, reduction=4, mask_channels=1))
    convs = [m for m in block.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3
    assert [c.kernel_size for c in convs] == [(1, 1)] * 3
    # the paper's N(0, 0.01) init must not be overwritten by a Kaiming init
    for conv in convs:
        assert conv.weight.std().item() == pytest.approx(0.01, rel=0.35)
    assert block(torch.randn(2, 64, 5, 7)).shape == (2, 1, 5, 7)


def test_self_mask_block_multiplies_by_its_mask():
    torch.manual_seed(0)
    block = _init(SelfMaskBlock(16)).eval()
    x = torch.randn(2, 16, 6, 6)
    out, mask = block.forward_with_mask(x)
    assert mask.shape == (2, 1, 6, 6)
    assert torch.all((mask > 0) & (mask < 1))
    torch.testing.assert_close(out, x * mask)
    torch.testing.assert_close(block(x), out)
    residual = SelfMaskBlock(16, residual=True).eval()
    out_r, mask_r = residual.forward_with_mask(x)
    torch.testing.assert_close(out_r, x * (1 + mask_r))
    channel = SelfMaskBlock(16, mask_channels=16).eval()
    assert channel.forward_with_mask(x)[1].shape == (2, 16, 6, 6)
    with pytest.raises(ValueError, match='mask_channels'):
        SelfMaskBlock(16, mask_channels=3)


def test_self_mask_block_trains_every_parameter():
    block = SelfMaskBlock(8).train()
    x = torch.randn(3, 8, 4, 4)
    (block(x) * torch.randn(3, 8, 4, 4)).sum().backward()
    for name, param in block.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('fusion,target,channels,size', [
    ('sum', 1, 32, (8, 8)), ('sum', 0, 32, (16, 16)), ('concat', -1, 96, (4, 4))])
def test_multi_level_fusion_shapes(fusion, target, channels, size):
    neck = MultiLevelFusion([8, 16, 32], out_channels=32, target_level=target, fusion=fusion,
                            num_blocks=2)
    feats = [torch.randn(2, 8, 16, 16), torch.randn(2, 16, 8, 8), torch.randn(2, 32, 4, 4)]
    out = neck(feats)
    assert out.shape == (2, channels, *size)
    assert neck.out_channels == channels


def test_multi_level_fusion_resampling_is_exact_on_constant_maps():
    """Constant maps stay constant through pooling / bilinear up-sampling: fused = sum."""
    neck = MultiLevelFusion([2, 2, 2], out_channels=2, num_blocks=0).eval()
    for conv in neck.lateral_convs:
        torch.nn.init.eye_(conv[0].weight.view(2, 2))
    values = [1.0, 2.0, 4.0]
    feats = [torch.full((1, 2, s, s), v) for s, v in zip((8, 4, 2), values)]
    out = neck(feats)
    # eval BN (running mean 0, var 1) and ReLU of positive inputs are identities up to eps
    expected = sum(v / (1 + 1e-5) ** 0.5 for v in values)
    torch.testing.assert_close(out, torch.full((1, 2, 4, 4), expected))


def test_multi_level_fusion_errors():
    with pytest.raises(ValueError, match='target_level'):
        MultiLevelFusion([8, 16], target_level=2)
    with pytest.raises(ValueError, match='fusion'):
        MultiLevelFusion([8, 16], fusion='max')
    with pytest.raises(ValueError, match='divisible'):
        MultiLevelFusion([8, 16], out_channels=6)
    neck = MultiLevelFusion([8, 16], out_channels=8)
    with pytest.raises(ValueError, match='expected 2 levels'):
        neck([torch.randn(1, 8, 4, 4)])


def test_masked_attention_head_is_srn_attention_on_masked_features():
    torch.manual_seed(0)
    head = _init(MaskedAttentionHead(5, in_channels=16, attention_channels=8,
                                     num_mask_blocks=2)).eval()
    x = torch.randn(2, 16, 6, 4)
    out = head(x)
    assert out['logits'].shape == (2, 5)
    assert out['mask_logits'].shape == (2, 1, 6, 4)
    assert out['attention'].shape == out['confidence'].shape == (2, 5, 6, 4)
    torch.testing.assert_close(out['attention'].sum(dim=(2, 3)), torch.ones(2, 5))
    # hand-computed: masked features -> attention softmax and confidence maps
    masked = x * out['mask_logits'].sigmoid()
    z = head.attention(masked).flatten(2).softmax(-1)
    s = head.confidence(masked).flatten(2)
    torch.testing.assert_close(out['logits'], (z * s).sum(-1))
    plain = MaskedAttentionHead(5, in_channels=16, attention_channels=8, with_mask=False)
    res = plain(x)
    assert res['mask_logits'] is None and not hasattr(plain, 'mask_branch')


def test_mask_loss_only_where_a_target_exists():
    head = MaskedAttentionHead(3, in_channels=8, attention_channels=4)
    logits = torch.randn(3, 1, 4, 4, requires_grad=True)
    target = torch.zeros(8, 8)
    target[:4] = 1  # top half person, at twice the logits' resolution
    loss = head.loss_mask(logits, [None, target, None])
    soft = F.interpolate(target[None, None], size=(4, 4), mode='area')
    expected = F.binary_cross_entropy_with_logits(logits[1:2], soft)
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert logits.grad[0].abs().sum() == 0 and logits.grad[2].abs().sum() == 0
    assert logits.grad[1].abs().sum() > 0
    # no target at all: zero loss that still backpropagates
    empty = head.loss_mask(logits, [None, None, None])
    assert empty.item() == 0 and empty.requires_grad
    with pytest.raises(ValueError, match='mask targets'):
        head.loss_mask(logits, [None])
