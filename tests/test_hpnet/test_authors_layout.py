# Copyright (c) mmped contributors. All rights reserved.
"""The authors' AF-net layout, activation checkpointing, the authors' input pipeline."""
import importlib.util
import re

import pytest
import torch
from mmengine.config import Config

from mmped.models.layers.multi_directional_attention import MDABranch
from mmped.testing import REPO_ROOT

from .hpnet_test_utils import attr_samples, build_tiny_hpnet


def _numel(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _tiny_blocks():
    model = build_tiny_hpnet()
    return model, model.backbone.blocks, model.backbone.block_channels


def test_unshared_copies_compute_the_shared_maps_when_initialised_alike(images):
    model, blocks, channels = _tiny_blocks()
    with torch.no_grad():
        feats = model.backbone.forward_all(images)
    torch.manual_seed(3)
    shared = MDABranch(blocks, channels, att_level=1, target_levels=(0, 1, 2), num_channels=2)
    unshared = MDABranch(blocks, channels, att_level=1, target_levels=(0, 1, 2),
                         num_channels=2, share_blocks=False)
    unshared.attention.load_state_dict(shared.attention.state_dict())
    for branch in (shared, unshared):
        branch.init_from_trunk(blocks)
        branch.eval()
    # level 0: 2 channels x blocks 1, 2; level 1: 2 x block 2; level 2: none
    assert sorted(unshared.post_blocks) == ['0_0_1', '0_0_2', '0_1_1', '0_1_2', '1_0_2',
                                            '1_1_2']
    with torch.no_grad():
        torch.testing.assert_close(unshared(feats)[0], shared(feats)[0])


def test_authors_layout_trains_each_channel_copy_and_fuses_512d_embeddings(images):
    model = build_tiny_hpnet(af_layout='authors', embed_channels=16, stage=2)
    branch = model.af_net[0]
    assert branch.out_channels == 3 * 16  # one embedding per target level
    assert model.head.fc.in_features == 16 * (1 + 9)  # M-net + 9 sub-branches
    losses = model.loss(images, attr_samples(4))
    sum(losses.values()).backward()
    # every (level, channel) copy gets its own gradient
    grads = {k: b.parameters().__next__().grad for k, b in branch.post_blocks.items()}
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values())
    assert not torch.equal(grads['0_0_1'], grads['0_1_1'])
    # the embeddings: GAP -> FC -> BN -> ReLU -> dropout
    assert [type(m).__name__ for m in branch.embeds[0]] == ['Linear', 'BatchNorm1d', 'ReLU',
                                                            'Dropout']
    assert all(p.grad is None for p in model.backbone.parameters())  # M-net frozen


def test_authors_layout_parameter_count_adds_one_copy_per_channel():
    paper = build_tiny_hpnet()
    authors = build_tiny_hpnet(af_layout='authors', embed_channels=16)
    blocks = paper.backbone.blocks
    num_l = 2
    per_branch_extra = (num_l - 1) * (_numel(blocks[1]) + _numel(blocks[2])) \
        + num_l * _numel(blocks[2])  # level 0 copies L x (1, 2); level 1 copies L x (2)
    # minus the paper's one shared copy of blocks 1, 2 (the level-0 copies replace it)
    for p, a in zip(paper.af_net, authors.af_net):
        assert _numel(a.post_blocks) == _numel(p.post_blocks) + per_branch_extra
        c_b, e = paper.backbone.block_channels[-1], 16
        assert _numel(a.embeds) == 3 * (num_l * c_b * e + e + 2 * e)  # FC + BN per level
    assert _numel(authors.mnet_embed) == paper.backbone.block_channels[-1] * 16 + 16 + 32


def test_authors_layout_stage1_trains_the_mnet_embedding(images):
    model = build_tiny_hpnet(af_layout='authors', embed_channels=16, stage=1)
    assert all(p.requires_grad for p in model.mnet_embed.parameters())
    model.set_stage(3)
    assert not any(p.requires_grad for p in model.mnet_embed.parameters())
    assert not model.train().mnet_embed.training


@pytest.mark.parametrize('af_layout', ['paper', 'authors'])
def test_with_cp_gives_the_same_gradients_with_less_saved_memory(images, af_layout):
    spec = importlib.util.spec_from_file_location(
        'hpnet_stage2_memory', REPO_ROOT / 'benchmarks' / 'hpnet_stage2_memory.py')
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    samples = attr_samples(4)
    grads, saved = [], []
    for with_cp in (False, True):
        model = build_tiny_hpnet(stage=2, with_cp=with_cp, af_layout=af_layout,
                                 embed_channels=16)
        model.train()
        for m in model.modules():  # dropout off: both runs see the same graph
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
        saved.append(bench.saved_bytes(model, images, samples))
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()
                      if p.grad is not None})
    assert grads[0].keys() == grads[1].keys()
    for name in grads[0]:
        torch.testing.assert_close(grads[1][name], grads[0][name], rtol=1e-4, atol=1e-6)
    assert saved[1] < 0.7 * saved[0]


def test_configs_follow_the_authors_input_pipeline():
    for name in ('hpnet-stage1_bninception_1xb32-30e_pa100k.py',
                 'hpnet-stage3_bninception_1xb32-10e_market1501.py'):
        cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'hpnet' / name))
        train = [(t['type'].split('.')[-1], t.get('scale') or t.get('crop_size'))
                 for t in cfg.train_dataloader.dataset.pipeline]
        test = [(t['type'].split('.')[-1], t.get('scale') or t.get('crop_size'))
                for t in cfg.test_dataloader.dataset.pipeline]
        assert train[1:4] == [('Resize', (256, 256)), ('RandomCrop', 224), ('RandomFlip', None)]
        assert test[1:3] == [('Resize', (256, 256)), ('CenterCrop', 224)]
        assert cfg.model.attention_cfg.resize_mode == 'nearest'
        assert cfg.model.af_layout == 'paper'


def test_tool_docstrings_name_existing_configs():
    for tool in ('tools/model_converters/hpnet_stage_init.py',
                 'tools/dataset_converters/make_person_masks.py'):
        text = (REPO_ROOT / tool).read_text()
        names = re.findall(r'configs/[\w./-]+\.py', text)
        assert names, tool
        for name in names:
            assert (REPO_ROOT / name).is_file(), (tool, name)
