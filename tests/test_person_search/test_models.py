# Copyright (c) mmped contributors. All rights reserved.
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmped.models.layers.foreground_attention import ForegroundAttention
from mmped.models.roi_heads.bottom_up_fusion_roi_extractor import BottomUpFusionRoIExtractor
from mmped.registry import DATASETS, MODELS
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=True)


def _levels(batch=2, h=32, w=48, channels=(8, 32, 64, 128), requires_grad=True):
    torch.manual_seed(0)
    return [torch.randn(batch, c, h // s, w // s, requires_grad=requires_grad)
            for c, s in zip(channels, (2, 4, 8, 16))]


def test_foreground_attention_shapes_loss_and_grad():
    fam = ForegroundAttention(in_channels=64, seg_stride=8)
    fam.init_weights()
    feats = _levels()
    logits = fam.seg_logits(feats[2])
    assert logits.shape == (2, 1, 4, 6)
    out = fam.attend(feats, logits.sigmoid())
    assert [o.shape for o in out] == [f.shape for f in feats]
    # X + X * a with a = sigmoid(0) = 0.5 where the logits vanish
    with torch.no_grad():
        fam.seg_conv.weight.zero_()
        fam.seg_conv.bias.zero_()
    out = fam.attend(feats, fam.seg_logits(feats[2]).sigmoid())
    torch.testing.assert_close(out[0], 1.5 * feats[0])
    # BCE against the box mask of the lead's rasteriser: box covers 2 x 2 cells of 4 x 6
    boxes = [torch.tensor([[0.0, 0.0, 16.0, 16.0]]), torch.zeros(0, 4)]
    loss = fam.loss(torch.zeros(2, 1, 4, 6), boxes)['loss_seg']
    assert loss.item() == pytest.approx(torch.log(torch.tensor(2.0)).item())
    logits = torch.full((2, 1, 4, 6), -20.0)
    logits[0, 0, :2, :2] = 20.0
    assert fam.loss(logits, boxes)['loss_seg'].item() < 1e-6
    # gradients flow to the segmentation head through the attention (end to end)
    fam.seg_conv.weight.data.normal_()
    out = fam.attend(feats, fam.seg_logits(feats[2]).sigmoid())
    sum(o.sum() for o in out).backward()
    assert fam.seg_conv.weight.grad.abs().sum() > 0
    assert all(f.grad is not None for f in feats)


@pytest.mark.parametrize('levels', [(4, ), (3, 4), (2, 3, 4), (1, 2, 3, 4)])
def test_bottom_up_fusion_shapes_and_grads(levels):
    buf = BottomUpFusionRoIExtractor(in_channels=(8, 32, 64, 128), levels=levels)
    buf.init_weights()
    feats = _levels()
    rois = torch.tensor([[0, 2.0, 3.0, 20.0, 30.0], [1, 10.0, 0.0, 40.0, 31.0],
                         [1, 0.0, 0.0, 47.0, 31.0]])
    out = buf(feats, rois)
    assert out.shape == (3, 128, 14, 7) and buf.out_channels == 128
    assert sorted(buf.transforms.keys()) == [f'T{lv}' for lv in levels[1:]]
    out.sum().backward()
    for lv in range(1, 5):
        has_grad = feats[lv - 1].grad is not None and feats[lv - 1].grad.abs().sum() > 0
        assert has_grad == (lv in levels)
    for t in buf.transforms.values():
        assert all(p.grad is not None for p in t.parameters())


def test_bottom_up_fusion_is_elementwise_max():
    buf = BottomUpFusionRoIExtractor(in_channels=(8, 32, 64, 128), levels=(3, 4)).eval()
    feats = _levels(requires_grad=False)
    rois = torch.tensor([[0, 2.0, 3.0, 20.0, 30.0]])
    f3 = buf.roi_layers[0](feats[2], rois)
    f4 = buf.roi_layers[1](feats[3], rois)
    torch.testing.assert_close(buf(feats, rois), torch.maximum(buf.transforms['T4'](f3), f4))
    with pytest.raises(ValueError, match='levels'):
        BottomUpFusionRoIExtractor(levels=(4, 3))


def _tiny(tmp_path, tiny_prw, writer, base='buff_r50_1xb4-5e_prw.py', **kw):
    cfg = Config.fromfile(writer(tmp_path / 'tiny.py', base, tiny_prw, **kw))
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def test_train_step_on_tiny_prw(tmp_path, tiny_prw, tiny_config):
    cfg, model = _tiny(tmp_path, tiny_prw, tiny_config)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[i] for i in range(len(ds))]), True)
    model.train()
    # the first step fills the (zero-initialised) OIM memories: no re-ID gradient yet
    model.loss(data['inputs'], data['data_samples'])
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'loss_seg',
                'loss_oim'):
        assert key in losses, key
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    ex = model.roi_head.reid_roi_extractor
    for name in ('T2', 'T3', 'T4'):
        assert ex.transforms[name].conv1.weight.grad.abs().sum() > 0
    assert model.fg_attention.seg_conv.weight.grad.abs().sum() > 0
    # conv1 + its BN are frozen, the other BNs train
    assert not model.backbone.conv1.weight.requires_grad
    assert model.backbone.layer1[0].bn1.weight.grad is not None
    oim = model.roi_head.reid_head.loss_reid
    assert oim.lut.abs().sum() > 0  # both labelled identities were seen
    assert (oim.lut.norm(dim=1) - 1).abs().max() < 1e-5


def _overfit_history(tmp_path, tiny_prw, tiny_config, lr):
    """(total, OIM) losses of 6 SGD steps on the tiny PRW batch, seeded identically."""
    torch.manual_seed(0)
    cfg, model = _tiny(tmp_path, tiny_prw, tiny_config)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[i] for i in range(len(ds))]), True)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    torch.manual_seed(0)
    history = []
    for _ in range(6):
        losses = model.loss(data['inputs'], data['data_samples'])
        total, _ = model.parse_losses(losses)
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append((total.item(), losses['loss_oim'].item()))
    return history


def test_overfitting_beats_the_same_run_at_lr0(tmp_path, tiny_prw, tiny_config):
    # at lr=0 the losses fall too (the first forward fills the empty OIM memories): learning
    # must end below that run, for the total and for the OIM loss itself
    learned = _overfit_history(tmp_path, tiny_prw, tiny_config, 0.02)
    frozen = _overfit_history(tmp_path, tiny_prw, tiny_config, 0.0)
    # same start (up to nondeterministic float reductions, ~1e-4 relative)
    assert learned[0] == pytest.approx(frozen[0], rel=1e-2)
    assert learned[-1][0] < frozen[-1][0]
    assert learned[-1][1] < frozen[-1][1]


@pytest.mark.parametrize('use_gt', [False, True])
def test_predict_gallery_and_queries(tmp_path, tiny_prw, tiny_config, use_gt):
    cfg, model = _tiny(tmp_path, tiny_prw, tiny_config)
    model.test_cfg['use_gt_boxes'] = use_gt
    ds = DATASETS.build(cfg.test_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), False)
    model.eval()
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])
    pred = out[0].pred_instances
    assert pred.reid_feats.shape == (len(pred.bboxes), 64)
    if len(pred.bboxes):
        torch.testing.assert_close(pred.reid_feats.norm(dim=1), torch.ones(len(pred.bboxes)))
    assert out[0].query_feats.shape == (1, 64) and 'query_feats' not in out[1]
    if use_gt:
        # gallery = ground truth in original pixels; the query box is a ground-truth box,
        # so its feature equals the gallery feature of that box
        torch.testing.assert_close(pred.bboxes, torch.tensor([[8., 10., 24., 50.],
                                                              [48., 10., 64., 50.]]))
        torch.testing.assert_close(out[0].query_feats[0], pred.reid_feats[0])


def test_baseline_and_buff_parameter_delta():
    from mmped.testing import REPO_ROOT
    counts = {}
    for name in ('baseline', 'buff'):
        cfg = Config.fromfile(REPO_ROOT / 'configs' / 'buff' / f'{name}_r50_1xb4-5e_prw.py')
        model = MODELS.build(cfg.model)
        counts[name] = sum(p.numel() for p in model.parameters())
    # BUF (T2 + T3 + T4) and the 1x1 segmentation conv: the paper's "about 2M"
    # (37.01M - 35.05M = 1.96M)
    assert counts['buff'] - counts['baseline'] == pytest.approx(1.96e6, rel=0.01)


def test_pretrained_trunk_initialises_conv1_to_conv5_and_transforms(tmp_path, tiny_prw,
                                                                    tiny_config):
    from mmdet.models.backbones import ResNet
    imagenet = ResNet(depth=50, base_channels=8, num_stages=4, out_indices=(3, ))
    state = {k: v + 0.5 if v.is_floating_point() else v
             for k, v in imagenet.state_dict().items()}  # torchvision key names
    state['fc.weight'] = torch.zeros(10, 256)
    path = tmp_path / 'imagenet_r50.pth'
    torch.save(state, path)
    cfg = Config.fromfile(tiny_config(tmp_path / 'tiny.py', 'buff_r50_1xb4-5e_prw.py', tiny_prw))
    cfg.model.pretrained_trunk = str(path)
    cfg.model.roi_head.reid_head.planes = 64  # conv5 of the 8-channel ResNet-50
    cfg.model.roi_head.reid_head.loss_reid.num_features = 256
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.testing.assert_close(model.backbone.conv1.weight, state['conv1.weight'])
    torch.testing.assert_close(model.backbone.layer3[5].conv2.weight,
                               state['layer3.5.conv2.weight'])
    torch.testing.assert_close(model.roi_head.reid_head.conv5[2].conv3.weight,
                               state['layer4.2.conv3.weight'])
    transforms = model.roi_head.reid_roi_extractor.transforms
    for name, prefix in (('T2', 'layer1.0.'), ('T3', 'layer2.0.'), ('T4', 'layer3.0.')):
        torch.testing.assert_close(transforms[name].conv1.weight, state[prefix + 'conv1.weight'])
        torch.testing.assert_close(transforms[name].downsample[1].bias,
                                   state[prefix + 'downsample.1.bias'])


def test_batch_without_people(tmp_path, tiny_prw, tiny_config):
    cfg, model = _tiny(tmp_path, tiny_prw, tiny_config)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    data = model.data_preprocessor(pseudo_collate([ds[0], ds[1]]), True)
    for sample in data['data_samples']:
        sample.gt_instances = sample.gt_instances[:0]
    model.train()
    losses = model.loss(data['inputs'], data['data_samples'])
    assert losses['loss_oim'].item() == 0.0 and losses['loss_seg'].item() > 0
    total, _ = model.parse_losses(losses)
    total.backward()
    assert model.roi_head.reid_roi_extractor.transforms['T2'].conv1.weight.grad is not None
