# Copyright (c) mmped contributors. All rights reserved.
"""CFL, modality attention fusion and the two-stream VGG backbone."""
import pytest
import torch

from mmped.models.backbones import TwoStreamVGG
from mmped.models.layers import CrossModalFeatureLearning, ModalityAttentionFusion


@pytest.mark.parametrize('alpha,aggregation', [(0.5, 'attention'), (0.0, 'attention'),
                                               (1.0, 'attention'), (0.5, 'average')])
def test_cfl_shapes(alpha, aggregation):
    cfl = CrossModalFeatureLearning(8, alpha=alpha, groups=2, aggregation=aggregation)
    feats = [torch.randn(2, 8, 5, 6), torch.randn(2, 8, 5, 6)]
    out = cfl(feats)
    assert len(out) == 2 and all(o.shape == (2, 8, 5, 6) for o in out)
    assert all((o >= 0).all() for o in out)  # ReLU after aggregation
    assert (cfl.shared_conv is None) == (alpha == 0.0)
    assert (cfl.specific_group_convs is None) == (alpha == 1.0)


def test_cfl_shared_weights_are_shared():
    torch.manual_seed(0)
    cfl = CrossModalFeatureLearning(8, alpha=0.5, groups=2)
    # one shared 1x1 conv taking the first alpha*C channels, one specific pair per modality
    assert cfl.shared_conv.weight.shape == (8, 4, 1, 1)
    assert cfl.specific_group_convs[0].weight.shape == (8, 2, 3, 3)  # 4 channels in 2 groups
    assert cfl.specific_group_convs[0] is not cfl.specific_group_convs[1]
    names = [n for n, _ in cfl.named_parameters()]
    assert sum(n.startswith('shared_conv') for n in names) == 2  # weight + bias, once
    # the loss of modality 1 alone reaches the shared conv but not modality 0's convs
    feats = [torch.randn(1, 8, 4, 4), torch.randn(1, 8, 4, 4)]
    cfl.forward_single(feats[1], 1).sum().backward()
    assert cfl.shared_conv.weight.grad.abs().sum() > 0
    assert cfl.specific_point_convs[1].weight.grad.abs().sum() > 0
    assert cfl.specific_group_convs[0].weight.grad is None
    assert cfl.specific_point_convs[0].weight.grad is None


def test_cfl_attention_aggregation_by_hand():
    """beta = exp(s) / (exp(s) + exp(r)) on hand-set convolutions."""
    cfl = CrossModalFeatureLearning(2, num_modalities=1, alpha=0.5, groups=1,
                                    specific_kernel_size=1, act_cfg=None)
    with torch.no_grad():
        cfl.shared_conv.weight.copy_(torch.tensor([[1.0], [0.0]]).view(2, 1, 1, 1))
        cfl.shared_conv.bias.copy_(torch.tensor([0.0, 1.0]))
        cfl.specific_group_convs[0].weight.copy_(torch.tensor([[2.0], [0.0]]).view(2, 1, 1, 1))
        cfl.specific_group_convs[0].bias.zero_()
        cfl.specific_point_convs[0].weight.zero_()
        cfl.specific_point_convs[0].bias.copy_(torch.tensor([0.0, 3.0]))
    x = torch.tensor([[[[1.0, 3.0]], [[5.0, 7.0]]]])  # (1, 2, 1, 2): shared ch 0, specific ch 1
    out = cfl([x])[0]
    # S = [[1, 3], [1, 1]], R = [[10, 14], [3, 3]]; s = [2, 1], r = [12, 3]
    s, r = torch.tensor([2.0, 1.0]), torch.tensor([12.0, 3.0])
    beta = torch.exp(s) / (torch.exp(s) + torch.exp(r))
    expected_c0 = beta[0] * torch.tensor([1.0, 3.0]) + (1 - beta[0]) * torch.tensor([10.0, 14.0])
    expected_c1 = beta[1] * 1.0 + (1 - beta[1]) * 3.0
    torch.testing.assert_close(out[0, 0, 0], expected_c0)
    torch.testing.assert_close(out[0, 1, 0], expected_c1.expand(2))


def test_cfl_bad_config():
    with pytest.raises(ValueError, match='not divisible'):
        CrossModalFeatureLearning(6, alpha=0.5, groups=2)
    with pytest.raises(ValueError, match='alpha'):
        CrossModalFeatureLearning(8, alpha=1.5)
    with pytest.raises(ValueError, match='2 modalities got 1'):
        CrossModalFeatureLearning(8)([torch.randn(1, 8, 2, 2)])


@pytest.mark.parametrize('mode', ['attention', 'average', 'linear'])
def test_fusion_weights_sum_to_one(mode):
    torch.manual_seed(0)
    fusion = ModalityAttentionFusion(4, mode=mode, pool_size=(2, 2), hidden_channels=(8, ))
    fusion.init_weights()
    if mode == 'linear':
        with torch.no_grad():
            fusion.logits.copy_(torch.tensor([0.3, -0.2]))
    feats = [torch.randn(3, 4, 6, 5) * 50, torch.randn(3, 4, 6, 5) * 50]
    mu = fusion(feats)
    assert mu.shape == (3, 2)
    torch.testing.assert_close(mu.sum(dim=1), torch.ones(3))
    if mode == 'attention':
        assert not torch.allclose(mu[0], mu[1])  # input-specific weights
        mu.sum().backward()  # differentiable
    elif mode == 'average':
        torch.testing.assert_close(mu, torch.full((3, 2), 0.5))
    else:
        torch.testing.assert_close(mu[0], torch.tensor([0.3, -0.2]).softmax(0))


def test_fusion_fuse_by_hand():
    preds = [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[5.0, 6.0], [7.0, 8.0]])]
    weights = torch.tensor([[0.25, 0.75], [0.5, 0.5]])
    out = ModalityAttentionFusion.fuse(preds, weights, torch.tensor([1, 0]))
    torch.testing.assert_close(out, torch.tensor([[3.0, 4.0], [6.0, 7.0]]))


def test_two_stream_vgg_shapes_and_split():
    vgg = TwoStreamVGG(widths=(4, 8, 8, 16, 16), num_convs=(1, 1, 1, 1, 1))
    out = vgg(torch.randn(2, 6, 64, 80))
    assert len(out) == 2 and all(o.shape == (2, 16, 4, 5) for o in out)
    assert set(vgg.cfls) == {f'stage{i}' for i in range(1, 6)}
    single = TwoStreamVGG(in_channels=(3, ), widths=(4, 8, 8, 16, 16),
                          num_convs=(1, 1, 1, 1, 1), cfl=None)
    assert len(single(torch.randn(1, 3, 64, 80))) == 1 and len(single.cfls) == 0
    with pytest.raises(ValueError, match='expects 6 input channels'):
        vgg(torch.randn(1, 3, 64, 80))


def test_two_stream_vgg_modalities_coupled_by_weights_only():
    """CFL couples the streams through shared weights, never by mixing their features."""
    torch.manual_seed(0)
    x = torch.randn(1, 6, 32, 32)
    x2 = x.clone()
    x2[:, 3:] = torch.randn(1, 3, 32, 32)
    vgg = TwoStreamVGG(widths=(4, 8, 8, 16, 16), num_convs=(1, 1, 1, 1, 1))
    vgg.init_weights()
    vis, lwir = vgg(x)
    torch.testing.assert_close(vis, vgg(x2)[0])  # o^m depends on x^m only (Eq. (7))
    assert not torch.allclose(lwir, vgg(x2)[1])
    # a loss on the thermal output trains the shared convs used by the visible stream
    lwir.sum().backward()
    assert vgg.cfls['stage3'].shared_conv.weight.grad.abs().sum() > 0
    assert vgg.cfls['stage3'].specific_point_convs[0].weight.grad is None
    assert vgg.streams[0][0][0].weight.grad is None


def test_two_stream_vgg_pretrained(tmp_path):
    """torchvision vgg16 ``features.*`` weights are loaded into every stream."""
    vgg = TwoStreamVGG(in_channels=(3, 1), cfl=None, frozen_stages=1)
    state, c_in = {}, 3
    idx = iter([0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])
    for width, n in zip((64, 128, 256, 512, 512), (2, 2, 3, 3, 3)):
        for _ in range(n):
            i = next(idx)
            state[f'features.{i}.weight'] = torch.full((width, c_in, 3, 3), float(i))
            state[f'features.{i}.bias'] = torch.full((width, ), -float(i))
            c_in = width
    path = tmp_path / 'vgg16.pth'
    torch.save(state, path)
    vgg.pretrained = str(path)
    vgg.init_weights()
    for stream in vgg.streams:
        assert float(stream[2][2].weight[0, 0, 0, 0].detach()) == 12.0  # conv3_2 = features.12
        assert float(stream[4][4].bias[0].detach()) == -28.0
    # the 1-channel thermal stream gets the channel mean of conv1_1
    assert vgg.streams[1][0][0].weight.shape[1] == 1
    assert not vgg.streams[0][0][0].weight.requires_grad  # frozen stage 1
    assert vgg.streams[0][1][0].weight.requires_grad


def test_literal_maf_flattening_under_runner_init(tmp_path):
    """pool_size=None (Eq. (10): flatten the raw conv5 maps) sized from the input size."""
    from mmengine.runner import Runner

    from .conftest import make_samples, tiny_model_cfg
    cfg = tiny_model_cfg()
    cfg['roi_head']['fusion'].update(pool_size=None, input_size=(64, 80))
    runner = Runner(model=cfg, work_dir=str(tmp_path), default_scope='mmped')
    runner._init_model_weights()  # what Runner.train() calls before the first iteration
    fusion = runner.model.roi_head.fusion
    # 2 modalities x 16 channels x (64 / 16) x (80 / 16) conv5 cells
    assert fusion.mlp[1].in_features == 2 * 16 * 4 * 5
    assert float(fusion.mlp[1].weight.detach().std()) == pytest.approx(0.01, rel=0.1)
    feats = [torch.randn(2, 16, 4, 5), torch.randn(2, 16, 4, 5)]
    torch.testing.assert_close(fusion(feats).sum(dim=1), torch.ones(2))
    # the flattened map is the MLP input, cell by cell: moving one cell changes the weights
    moved = [feats[0].clone(), feats[1]]
    moved[0][:, :, 0, 0] += 100.0
    assert not torch.allclose(fusion(moved), fusion(feats))
    with pytest.raises(ValueError, match=r'\(4, 5\).*\(5, 5\)'):
        fusion([torch.randn(1, 16, 5, 5)] * 2)
    samples = make_samples()
    losses = runner.model.loss(torch.randn(2, 6, 64, 80), samples)
    assert torch.isfinite(runner.model.parse_losses(losses)[0])
    with pytest.raises(ValueError, match='input_size'):
        ModalityAttentionFusion(16, pool_size=None)
    with pytest.raises(ValueError, match='multiple of the feature stride'):
        ModalityAttentionFusion(16, pool_size=None, input_size=(60, 80))
