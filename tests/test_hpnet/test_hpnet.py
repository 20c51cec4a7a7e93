# Copyright (c) mmped contributors. All rights reserved.
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import load_checkpoint
from mmpretrain.structures import DataSample

from mmped.models.heads import HPNetReIDHead
from mmped.testing import REPO_ROOT

from .hpnet_test_utils import NUM_ATTRS, attr_samples, build_tiny_hpnet, tiny_hpnet_cfg

L = 2


def _channels(model):
    return model.backbone.block_channels


def test_feature_shapes_per_stage(images):
    model = build_tiny_hpnet(stage=1).eval()
    c1, c2, c3 = _channels(model)
    assert model.extract_feat(images)[0].shape == (4, c3)
    # every branch of the complete AF-net attends blocks 1..3 with L channels
    assert [b.out_channels for b in model.af_net] == [3 * L * c3] * 3
    assert model.head.fc.in_features == c3 * (1 + 9 * L)
    assert model.mnet_head.fc.in_features == c3
    model.set_stage(2)
    model.predict_branch = 1
    assert model.extract_feat(images)[0].shape == (4, 3 * L * c3)
    model.set_stage(3)
    assert model.extract_feat(images)[0].shape == (4, c3 * (1 + 9 * L))
    assert model(images).shape == (4, NUM_ATTRS)
    preds = model.predict(images)
    assert len(preds) == 4 and preds[0].pred_score.shape == (NUM_ATTRS, )
    feats, pooled, alphas = model.extract_branch_feats(images)
    assert [tuple(a.shape) for a in alphas] == [(4, L, *f.shape[-2:]) for f in feats]
    assert [f.shape[1] for f in feats] == [c1, c2, c3]


def test_ablation_branches():
    naive = build_tiny_hpnet(branches=[dict(att_level=i, target_levels=(i, )) for i in range(3)])
    c3 = _channels(naive)[-1]
    assert naive.head.fc.in_features == c3 * (1 + 3 * L)
    no_middle = build_tiny_hpnet(
        branches=[dict(att_level=i, target_levels=(0, 2)) for i in (0, 2)])
    assert [(b.att_level, b.target_levels) for b in no_middle.af_net] == [(0, (0, 2)),
                                                                         (2, (0, 2))]
    one = build_tiny_hpnet(branches=[dict(att_level=2, target_levels=(0, 1, 2))])
    assert one.head.fc.in_features == c3 * (1 + 3 * L)
    with pytest.raises(ValueError, match='stage'):
        build_tiny_hpnet(stage=4)
    with pytest.raises(ValueError, match='branches'):
        build_tiny_hpnet(stage=2, branches=[])


def _trainable(model):
    return {n.split('.')[0] + ('.' + n.split('.')[1] if n.startswith(('af_net', 'branch_heads'))
                               else '') for n, p in model.named_parameters() if p.requires_grad}


def test_init_weights_starts_every_branch_as_the_pretrained_mnet(tmp_path):
    from mmped.models.backbones import BNInception
    torch.manual_seed(5)
    pretrained = BNInception(widen_factor=0.0625)
    torch.save(pretrained.state_dict(), tmp_path / 'imagenet.pth')
    model = build_tiny_hpnet(stage=0, backbone=dict(
        type='BNInception', widen_factor=0.0625,
        init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'imagenet.pth'))))
    model.init_weights()
    loaded = pretrained.state_dict()
    assert all(torch.equal(v, loaded[k]) for k, v in model.backbone.state_dict().items())
    for branch in model.af_net:
        for key, block in branch.post_blocks.items():
            ref = model.backbone.blocks[int(key)].state_dict()
            assert all(torch.equal(v, ref[k]) for k, v in block.state_dict().items())


def test_init_weights_keeps_af_net_of_a_pretrained_hpnet(tmp_path):
    src = build_tiny_hpnet()
    with torch.no_grad():
        for p in src.af_net.parameters():
            p.add_(0.5)
    torch.save({'state_dict': src.state_dict()}, tmp_path / 'hpnet.pth')
    model = build_tiny_hpnet(init_cfg=dict(type='Pretrained',
                                           checkpoint=str(tmp_path / 'hpnet.pth')))
    model.init_weights()
    ref = src.state_dict()
    assert all(torch.equal(v, ref[k]) for k, v in model.state_dict().items())


def test_trainable_parts_per_stage():
    model = build_tiny_hpnet(stage=1)
    assert _trainable(model) == {'backbone', 'mnet_head'}
    model.set_stage(2)
    assert _trainable(model) == {'af_net.0', 'af_net.1', 'af_net.2', 'branch_heads.0',
                                 'branch_heads.1', 'branch_heads.2'}
    model.set_stage(3)
    assert _trainable(model) == {'head'}
    model.set_stage(0)
    assert _trainable(model) == {'backbone', 'af_net.0', 'af_net.1', 'af_net.2', 'head'}
    assert _trainable(build_tiny_hpnet(stage=2, train_branches=[-1])) == {'af_net.2',
                                                                          'branch_heads.2'}


def _batch(images, samples):
    return dict(inputs=[((img - img.min()) * 40).clamp(0, 255).to(torch.uint8) for img in images],
                data_samples=samples)


@pytest.mark.parametrize('stage,branches', [(2, None), (2, [1]), (3, None)])
def test_frozen_parameters_receive_no_update(images, stage, branches):
    model = build_tiny_hpnet(stage=stage, train_branches=branches).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                         weight_decay=0.01))
    for _ in range(2):
        model.train_step(_batch(images, attr_samples(4)), optim)
    after = model.state_dict()
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    names = {n for n, p in model.named_parameters() if id(p) in trainable}
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    # parameters AND buffers (BN running stats) of every frozen part stay the same
    frozen_changed = {k for k in changed if k not in names and not any(
        k.startswith(n.rsplit('.', 1)[0] + '.') and n.endswith('.weight') and
        k.rsplit('.', 1)[1] in ('running_mean', 'running_var', 'num_batches_tracked')
        for n in names)}
    assert not frozen_changed, sorted(frozen_changed)[:5]
    assert names and names <= changed | {n for n in names if n.endswith('.bias')}
    if stage == 2:
        prefixes = tuple(f'af_net.{b}.' for b in (branches or [0, 1, 2]))
        assert all(k.startswith(prefixes + tuple(
            f'branch_heads.{b}.' for b in (branches or [0, 1, 2]))) for k in changed)
        assert any(k.startswith(prefixes) and '.post_blocks.' in k for k in changed)
        assert any(k.startswith(prefixes) and '.attention.' in k for k in changed)
    else:
        assert changed == {'head.fc.weight', 'head.fc.bias'}


def _load_converter():
    path = REPO_ROOT / 'tools' / 'model_converters' / 'hpnet_stage_init.py'
    spec = importlib.util.spec_from_file_location('hpnet_stage_init', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage2_from_stage1_checkpoint_reproduces_mnet(tmp_path: Path, images):
    stage1 = build_tiny_hpnet(stage=1).train()
    optim = OptimWrapper(torch.optim.SGD(stage1.parameters(), lr=0.05))
    stage1.train_step(_batch(images, attr_samples(4)), optim)  # non-trivial weights and stats
    ckpt = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': stage1.state_dict(), 'meta': {}}, ckpt)
    cfg_path = tmp_path / 'stage2.py'
    cfg_path.write_text(f'default_scope = "mmped"\nmodel = {tiny_hpnet_cfg(stage=2)!r}\n')
    out = tmp_path / 'stage2_init.pth'
    converter = _load_converter()
    converter.convert(Config.fromfile(cfg_path), str(ckpt), str(out))
    with pytest.raises(FileExistsError):
        converter.convert(Config.fromfile(cfg_path), str(ckpt), str(out))
    # load_from overrides the runner's init_weights(): the converter's output must hold the
    # heads' configured N(0, 0.01) init (PyTorch's default Linear init has std 0.029 here)
    state = torch.load(out, map_location='cpu')['state_dict']
    head_weights = [v for k, v in state.items()
                    if k.startswith('branch_heads.') and k.endswith('fc.weight')]
    assert len(head_weights) == 3
    assert all(0.005 < float(w.std()) < 0.015 for w in head_weights)

    stage2 = build_tiny_hpnet(stage=2)
    load_checkpoint(stage2, str(out), map_location='cpu')
    stage1.eval()
    stage2.train()  # the frozen M-net stays in eval mode in stage 2
    with torch.no_grad():
        ref = stage1.backbone.forward_all(images)
        got = stage2.backbone.forward_all(images)
    assert all(torch.equal(a, b) for a, b in zip(ref, got))
    for branch in stage2.af_net:
        for key, block in branch.post_blocks.items():
            src = stage1.backbone.blocks[int(key)].state_dict()
            assert all(torch.equal(v, src[k]) for k, v in block.state_dict().items())
    # a branch whose attention is constant 1 now reproduces the M-net's last block output
    branch = stage2.af_net[0].eval()
    with torch.no_grad():
        ones = torch.ones_like(branch.attention(ref[0]))
        for k in branch.target_levels:
            x = branch.attention.attend(ones, ref[k])[:, 0]
            for b in range(k + 1, 3):
                x = branch.post_blocks[str(b)](x)
            assert torch.allclose(x, ref[2], atol=1e-5)
    # and stays so after fine-tuning steps
    optim = OptimWrapper(torch.optim.SGD(stage2.parameters(), lr=0.05, momentum=0.9))
    stage2.train_step(_batch(images, attr_samples(4)), optim)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(ref, stage2.backbone.forward_all(images)))


def test_converter_rejects_incomplete_checkpoint(tmp_path):
    ckpt = tmp_path / 'bad.pth'
    torch.save({'state_dict': {'backbone.stem.0.conv.weight': torch.zeros(1)}}, ckpt)
    cfg_path = tmp_path / 'stage2.py'
    cfg_path.write_text(f'model = {tiny_hpnet_cfg(stage=2)!r}\n')
    with pytest.raises(KeyError, match='bad.pth'):
        _load_converter().convert(Config.fromfile(cfg_path), str(ckpt),
                                  str(tmp_path / 'out.pth'))
    assert not (tmp_path / 'out.pth').exists()


def test_overfit_tiny_batch_end_to_end(images):
    model = build_tiny_hpnet(stage=0).train()
    samples = attr_samples(4, seed=3)
    optim = OptimWrapper(torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=3e-3))
    losses = [float(model.train_step(_batch(images, samples), optim)['loss'].detach())
              for _ in range(30)]
    assert losses[-1] < 0.1 * losses[0], losses
    with torch.no_grad():
        data = model.data_preprocessor(_batch(images, samples), False)
        probs = model(data['inputs']).sigmoid()
    gt = torch.stack([s.gt_score for s in samples])
    assert torch.equal((probs > 0.5).float(), gt)


def test_reid_head_loss_and_feature():
    torch.manual_seed(0)
    head = HPNetReIDHead(num_classes=3, in_channels=4, feat_dim=5)
    feats = torch.randn(2, 4)
    samples = [DataSample().set_gt_label(1), DataSample().set_gt_label(2)]
    logits = head.classifier(head.fc(feats))
    expected = -(F.log_softmax(logits, 1)[[0, 1], [1, 2]]).mean()
    losses = head.loss((feats, ), samples)
    assert torch.allclose(losses['loss'], expected)
    preds = head.predict((feats, ))
    feat = torch.stack([p.pred_feature for p in preds])
    assert torch.allclose(feat, F.normalize(head.fc(feats), dim=1))
    assert torch.allclose(feat.norm(dim=1), torch.ones(2))
    with pytest.raises(ValueError, match='identity labels'):
        head.loss((feats, ), [DataSample().set_gt_label(3), DataSample().set_gt_label(0)])


def test_hpnet_with_reid_head(images):
    model = build_tiny_hpnet(stage=3, head=dict(type='HPNetReIDHead', num_classes=6,
                                                feat_dim=8))
    c3 = _channels(model)[-1]
    assert model.head.fc.in_features == c3 * (1 + 9 * L)
    model.eval()
    preds = model.predict(images)
    assert preds[0].pred_feature.shape == (8, )
    samples = [DataSample().set_gt_label(i) for i in range(4)]
    assert set(model.loss(images, samples)) == {'loss', 'accuracy_top-1'}
