# Copyright (c) mmped contributors. All rights reserved.
import pytest
import torch

from mmped.models.backbones import BNInception
from mmped.models.backbones.bn_inception import caffe_layer_names, convert_caffe_bn_inception


def _out_size(s: int) -> tuple:
    """Block sizes by hand: stem /2 (pad 3), two ceil-mode pools /2, then two reductions."""
    s = (s + 6 - 7) // 2 + 1
    for _ in range(2):
        s = -(-(s - 3) // 2) + 1
    b1 = (s + 2 - 3) // 2 + 1
    b2 = (b1 + 2 - 3) // 2 + 1
    return b1, b2, b2


def test_block_shapes_full_width_299():
    model = BNInception().eval()
    assert model.block_channels == [576, 1056, 1024]
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 299, 299))
    assert [tuple(o.shape) for o in outs] == [(1, 576, 19, 19), (1, 1056, 10, 10),
                                              (1, 1024, 10, 10)]
    assert _out_size(299) == (19, 10, 10)


@pytest.mark.parametrize('hw', [(64, 32), (71, 37)])
def test_block_shapes_tiny(hw):
    model = BNInception(widen_factor=0.125, out_indices=(0, 2))
    outs = model(torch.randn(2, 3, *hw))
    sizes = list(zip(_out_size(hw[0]), _out_size(hw[1])))
    assert len(outs) == 2
    assert tuple(outs[0].shape) == (2, model.block_channels[0], *sizes[0])
    assert tuple(outs[1].shape) == (2, model.block_channels[2], *sizes[2])
    assert [f.shape[1] for f in model.forward_all(torch.randn(1, 3, *hw))] == \
        model.block_channels


def test_bad_arguments():
    with pytest.raises(ValueError, match='out_indices'):
        BNInception(widen_factor=0.125, out_indices=(3, ))
    with pytest.raises(ValueError, match='frozen_stages'):
        BNInception(widen_factor=0.125, frozen_stages=4)


def test_frozen_stages_and_norm_eval():
    model = BNInception(widen_factor=0.125, frozen_stages=1, norm_eval=False).train()
    assert not any(p.requires_grad for p in model.stem.parameters())
    assert not any(p.requires_grad for p in model.blocks[0].parameters())
    assert all(p.requires_grad for p in model.blocks[1].parameters())
    assert not model.blocks[0].training and model.blocks[1].training
    mean = model.blocks[0][0].branch3x3[0].bn.running_mean.clone()
    model(torch.randn(2, 3, 64, 32))
    assert torch.equal(mean, model.blocks[0][0].branch3x3[0].bn.running_mean)
    model = BNInception(widen_factor=0.125, norm_eval=True).train()
    assert all(not m.training for m in model.modules()
               if isinstance(m, torch.nn.BatchNorm2d))


def _randomise_bn(model):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)


def test_pretrained_local_checkpoint(tmp_path):
    src = BNInception(widen_factor=0.125)
    _randomise_bn(src)
    path = tmp_path / 'mnet.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()}},
               path)
    dst = BNInception(widen_factor=0.125, init_cfg=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone'))
    dst.init_weights()
    x = torch.randn(1, 3, 64, 32)
    for a, b in zip(src.eval()(x), dst.eval()(x)):
        assert torch.equal(a, b)


def test_caffe_layout_conversion_folds_conv_bias(tmp_path):
    """A Caffe-layout state dict (convs with bias) gives the same outputs after conversion."""
    src = BNInception(widen_factor=0.125)
    _randomise_bn(src)
    ours = src.state_dict()
    # invert the renaming to write the Caffe layout, adding a conv bias everywhere
    names = caffe_layer_names(src)
    # spot checks of the Caffe naming against the module layout
    assert names['conv2_3x3'] == 'stem.3'
    assert names['inception_3a_1x1'] == 'blocks.0.0.branch1x1'
    assert names['inception_4e_double_3x3_2'] == 'blocks.1.4.branch_dbl.2'
    assert names['inception_5b_pool_proj'] == 'blocks.2.1.branch_pool.1'
    assert 'inception_3c_1x1' in names  # no such layer in 3c: never matched, no harm
    mapping = {v: k for k, v in names.items()}
    caffe, biases = {}, {}
    for key, value in ours.items():
        layer, kind, param = key.rsplit('.', 2)
        if kind == 'conv':
            caffe[f'{mapping[layer]}.weight'] = value
            bias = torch.randn(value.shape[0])
            caffe[f'{mapping[layer]}.bias'] = bias
            biases[layer] = bias
        elif param != 'num_batches_tracked':
            caffe[f'{mapping[layer]}_bn.{param}'] = value
    caffe['last_linear.weight'] = torch.randn(1000, 8)
    converted = convert_caffe_bn_inception(caffe, src)
    # with the bias, a Caffe BN normalises (conv + b - mean): equal to our conv with mean - b
    for layer, bias in biases.items():
        assert torch.allclose(converted[f'{layer}.bn.running_mean'],
                              ours[f'{layer}.bn.running_mean'] - bias)
    path = tmp_path / 'caffe.pth'
    torch.save(caffe, path)
    dst = BNInception(widen_factor=0.125, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    dst.init_weights()
    state = dst.state_dict()
    assert all(torch.equal(state[k], v) for k, v in converted.items())
    assert len(converted) == len([k for k in ours if 'num_batches' not in k])
