# Copyright (c) mmped contributors. All rights reserved.
"""VGG16Det initialises its new layers with Xavier whatever init_cfg is (issue 17 item 2)."""
import math

import pytest
import torch
import torch.nn as nn

from mmped.models import VGG16Det

from .gdfl_testutils import WIDEN

# `features` indices of conv5_3, fc6 and fc7 without normalisation layers
CONV5_3, FC6, FC7 = 28, 31, 33


def _xavier_bound(conv: nn.Conv2d) -> float:
    rf = conv.kernel_size[0] * conv.kernel_size[1]
    return math.sqrt(6. / (conv.in_channels * rf + conv.out_channels * rf))


def _assert_xavier(conv: nn.Conv2d, name: str) -> None:
    bound = _xavier_bound(conv)
    w = conv.weight.detach().abs()
    assert torch.count_nonzero(conv.bias) == 0, f'{name}: bias not zero'
    assert w.max() <= bound + 1e-6, name
    # uniform on [-b, b]: the largest of >= 256 draws is above 0.9 b with near certainty, while
    # PyTorch's default bound 1 / sqrt(fan_in) is below 0.75 b for these layers
    assert w.max() > 0.9 * bound, name


def _new_convs(net: VGG16Det):
    convs = {'fc6': net.features[FC6], 'fc7': net.features[FC7]}
    for i, block in enumerate(net.extra):
        for j, m in enumerate(m for m in block if isinstance(m, nn.Conv2d)):
            convs[f'extra.{i}.{j}'] = m
    return convs


def _vgg_checkpoint(tmp_path, with_fc: bool):
    src = VGG16Det(widen_factor=WIDEN, num_extra_blocks=4)
    state = {k: v.clone() + 1. for k, v in src.state_dict().items()
             if k.startswith('features') and (with_fc or int(k.split('.')[1]) <= CONV5_3)}
    path = tmp_path / f'vgg16_{int(with_fc)}.pth'
    torch.save(dict(state_dict=state), path)
    return path, state


@pytest.mark.parametrize('with_fc', [False, True])
def test_new_layers_get_xavier_with_pretrained_init_cfg(tmp_path, with_fc):
    path, state = _vgg_checkpoint(tmp_path, with_fc)
    net = VGG16Det(widen_factor=WIDEN, num_extra_blocks=4,
                   init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    net.init_weights()
    torch.testing.assert_close(net.features[CONV5_3].weight, state['features.28.weight'])
    for name, conv in _new_convs(net).items():
        if with_fc and name in ('fc6', 'fc7'):
            index = FC6 if name == 'fc6' else FC7
            torch.testing.assert_close(conv.weight, state[f'features.{index}.weight'])
            torch.testing.assert_close(conv.bias, state[f'features.{index}.bias'])
        else:
            _assert_xavier(conv, name)


def test_new_layers_get_xavier_with_any_init_cfg():
    """A non-Xavier init_cfg on the VGG layers leaves the new layers Xavier."""
    net = VGG16Det(widen_factor=WIDEN, init_cfg=dict(type='Constant', layer='BatchNorm2d', val=1))
    net.init_weights()
    for name, conv in _new_convs(net).items():
        _assert_xavier(conv, name)


def test_torchvision_vgg16_conversion_hand_checked():
    """fc6 / fc7 subsampled as SSD did; integer weights give exact indices."""
    from mmped.models.backbones.vgg16_det import convert_torchvision_vgg16
    ref = VGG16Det()  # full width: conv keys and fc6 / fc7 shapes of the target
    state = {k: torch.zeros(v.shape, dtype=torch.int32) for k, v in ref.state_dict().items()
             if k.startswith('features.') and int(k.split('.')[1]) <= CONV5_3}
    state['classifier.0.weight'] = torch.arange(4096 * 25088, dtype=torch.int32).view(4096, -1)
    state['classifier.0.bias'] = torch.arange(4096, dtype=torch.int32)
    state['classifier.3.weight'] = torch.arange(4096 * 4096, dtype=torch.int32).view(4096, -1)
    state['classifier.3.bias'] = torch.arange(4096, dtype=torch.int32) + 7
    state['classifier.6.weight'] = torch.zeros(1000, 4096, dtype=torch.int32)
    out = convert_torchvision_vgg16(state)
    assert not any(k.startswith('classifier') for k in out)
    fc6, fc7 = out['features.31.weight'], out['features.33.weight']
    assert fc6.shape == ref.features[FC6].weight.shape == (1024, 512, 3, 3)
    assert fc7.shape == ref.features[FC7].weight.shape == (1024, 1024, 1, 1)
    # fc6[o, c, i, j] = W6[4 o, c * 49 + 3 i * 7 + 3 j]
    assert fc6[0, 0, 0, 0] == 0 and fc6[0, 0, 0, 1] == 3 and fc6[0, 0, 1, 0] == 21
    assert fc6[2, 5, 2, 2] == 8 * 25088 + 5 * 49 + 6 * 7 + 6
    assert fc7[3, 10, 0, 0] == 12 * 4096 + 40
    assert out['features.31.bias'][5] == 20 and out['features.33.bias'][5] == 27
    missing, unexpected = ref.load_state_dict(out, strict=False)
    assert not unexpected and all(not k.startswith('features') for k in missing)
    with pytest.raises(KeyError, match='classifier.3.bias'):
        convert_torchvision_vgg16({k: v for k, v in state.items() if k != 'classifier.3.bias'})
