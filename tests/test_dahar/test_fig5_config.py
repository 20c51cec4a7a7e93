# Copyright (c) mmped contributors. All rights reserved.
"""Fig. 5: the masked attention trained without the person-mask supervision."""
import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT

from .conftest import tiny_dahar_cfg

CONFIGS = REPO_ROOT / 'configs' / 'dahar'


def test_fig5_config_keeps_the_mask_branch_without_mask_targets():
    fig5 = Config.fromfile(
        str(CONFIGS / 'dahar-fig5-unsupervised-mask_r101_1xb32-30e_wider-attribute.py'))
    main = Config.fromfile(str(CONFIGS / 'dahar_r101_1xb32-30e_wider-attribute.py'))
    steps = [t['type'] for t in fig5.train_dataloader.dataset.pipeline]
    assert 'LoadPersonMask' not in steps
    assert 'gt_seg_map' not in fig5.train_dataloader.dataset.pipeline[-1]['algorithm_keys']
    # everything else is the supervised model and its augmentation
    assert fig5.model == main.model
    assert steps == [t['type'] for t in main.train_dataloader.dataset.pipeline
                     if t['type'] != 'LoadPersonMask']
    # without gt_seg_map the segmentation loss is zero (kept in the graph for DDP); the mask
    # branch learns from the attribute loss only
    model = MODELS.build(tiny_dahar_cfg(num_classes=3)).train()
    samples = [DataSample().set_gt_score(torch.tensor([1.0, 0.0, 1.0])) for _ in range(2)]
    losses = model.loss(torch.randn(2, 3, 64, 64), samples)
    assert losses['side_loss_mask'].item() == 0.0
    losses['side_loss_mask'].backward(retain_graph=True)
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.side_head.mask_branch.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
