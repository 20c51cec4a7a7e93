# Copyright (c) mmped contributors. All rights reserved.
"""Layer structure of Da-HAR's mask blocks (AAAI'20 sec. 3.2): what each block is built of.

The paper's mask block is "a stack of three 1x1 convolution layers and some batch normalization
and activation layers, constructed similar to a residual block": 1x1 convolutions C -> C / r ->
C / r -> M, each but the last followed by BN + ReLU, convolutions without bias where a norm
follows; the self-mask block normalises the output logits (``out_norm=True``).
"""
import pytest
import torch.nn as nn
from mmpretrain.models.backbones.resnet import BasicBlock, Bottleneck

from mmped.models.layers.self_mask_block import (
    MaskBlock,
    SelfMaskBlock,
    conv_norm_act,
    residual_stack,
)


def _describe(seq):
    """``[(type name, key parameters)]`` of a Sequential of conv / norm / activation layers."""
    out = []
    for m in seq:
        if isinstance(m, nn.Conv2d):
            out.append(('Conv2d', m.in_channels, m.out_channels, m.kernel_size[0],
                        m.padding[0], m.bias is not None))
        elif isinstance(m, nn.modules.batchnorm._BatchNorm):
            out.append((type(m).__name__, m.num_features))
        elif isinstance(m, nn.GroupNorm):
            out.append(('GroupNorm', m.num_groups, m.num_channels))
        else:
            out.append((type(m).__name__, ))
    return out


def test_conv_norm_act_layers_padding_and_bias():
    assert _describe(conv_norm_act(3, 5)) == [('Conv2d', 3, 5, 1, 0, True)]
    assert _describe(conv_norm_act(3, 5, 3, dict(type='BN'), dict(type='ReLU'))) == [
        ('Conv2d', 3, 5, 3, 1, False), ('BatchNorm2d', 5), ('ReLU', )]
    assert _describe(conv_norm_act(3, 5, 5)) == [('Conv2d', 3, 5, 5, 2, True)]


def test_mask_block_is_three_1x1_convolutions_with_bn_relu():
    block = MaskBlock(16)
    assert block.in_channels == 16 and block.mask_channels == 1
    assert [_describe(s) for s in block.layers] == [
        [('Conv2d', 16, 4, 1, 0, False), ('BatchNorm2d', 4), ('ReLU', )],
        [('Conv2d', 4, 4, 1, 0, False), ('BatchNorm2d', 4), ('ReLU', )],
        [('Conv2d', 4, 1, 1, 0, False), ('BatchNorm2d', 1)]]
    plain = MaskBlock(2, reduction=1, mask_channels=2, out_norm=False,
                      norm_cfg=dict(type='GN', num_groups=1), act_cfg=dict(type='Sigmoid'))
    assert [_describe(s) for s in plain.layers] == [
        [('Conv2d', 2, 2, 1, 0, False), ('GroupNorm', 1, 2), ('Sigmoid', )],
        [('Conv2d', 2, 2, 1, 0, False), ('GroupNorm', 1, 2), ('Sigmoid', )],
        [('Conv2d', 2, 2, 1, 0, True)]]
    # at least one hidden channel when C < r
    assert MaskBlock(2).layers[0][0].out_channels == 1
    assert MaskBlock(1).layers[0][0].in_channels == 1


@pytest.mark.parametrize('kwargs', [dict(in_channels=0), dict(in_channels=4, reduction=0),
                                    dict(in_channels=4, mask_channels=0)])
def test_mask_block_rejects_non_positive_sizes(kwargs):
    with pytest.raises(ValueError, match=r'in_channels \(\d+\), reduction \(\d+\) and '
                       r'mask_channels \(\d+\) must be positive'):
        MaskBlock(**kwargs)


def test_self_mask_block_normalises_its_logits_and_passes_configs():
    block = SelfMaskBlock(8, reduction=2, norm_cfg=dict(type='GN', num_groups=1),
                          act_cfg=dict(type='Sigmoid'))
    assert block.mask_block.init_cfg is None and block.init_cfg is not None
    assert [_describe(s) for s in block.mask_block.layers] == [
        [('Conv2d', 8, 4, 1, 0, False), ('GroupNorm', 1, 4), ('Sigmoid', )],
        [('Conv2d', 4, 4, 1, 0, False), ('GroupNorm', 1, 4), ('Sigmoid', )],
        [('Conv2d', 4, 1, 1, 0, False), ('GroupNorm', 1, 1)]]
    with pytest.raises(ValueError, match=r'mask_channels must be 1 or in_channels \(8\), got 3'):
        SelfMaskBlock(8, mask_channels=3)


def test_residual_stack_blocks_and_norms():
    stack = residual_stack(8, 2)
    assert [type(b) for b in stack] == [Bottleneck, Bottleneck]
    assert isinstance(stack[0].norm1, nn.BatchNorm2d)
    basic = residual_stack(3, 1, block='basic', norm_cfg=dict(type='GN', num_groups=1))
    assert [type(b) for b in basic] == [BasicBlock]
    assert isinstance(basic[0].norm1, nn.GroupNorm)
    assert len(residual_stack(6, 0)) == 0  # no divisibility check without blocks
    with pytest.raises(ValueError, match='bottleneck blocks need channels divisible by 4, got 6'):
        residual_stack(6, 1)
    with pytest.raises(ValueError, match="block must be 'bottleneck' or 'basic', got 'dense'"):
        residual_stack(8, 1, block='dense')
