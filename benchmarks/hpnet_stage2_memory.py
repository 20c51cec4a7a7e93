# Copyright (c) mmped contributors. All rights reserved.
"""Activation memory of HP-net stage 2 per image, with and without ``with_cp``.

Method: the stage-2 loss is computed once in training mode at full width on the CPU, and every
tensor autograd saves for the backward pass is recorded through
``torch.autograd.graph.saved_tensors_hooks`` (each storage counted once). That is the memory
the graph holds between forward and backward, i.e. the activation memory of a training step
(weights, gradients and optimizer state excluded; the frozen M-net runs without a graph).
It grows linearly with the batch, so the per-image number times the config's batch size gives
the activation memory of the config. With ``with_cp`` the checkpointed blocks save nothing
through those hooks, but their inputs stay alive until the backward pass: they are counted
too (a forward pre-hook on every AF-net block copy). Measured with batch 1 (a small batch
keeps the CPU run short); ``--batch-size`` checks the linearity.

Example::

    python benchmarks/hpnet_stage2_memory.py --sizes 224 299 --batch-size 1
"""
import argparse
from typing import Dict, List

import torch
from mmpretrain.structures import DataSample

from mmped.registry import MODELS
from mmped.utils import register_all_modules


def saved_bytes(model: torch.nn.Module, inputs: torch.Tensor,
                data_samples: List[DataSample]) -> int:
    """Bytes of the distinct storages autograd saves while computing ``model.loss``.

    Args:
        model (nn.Module): Model in training mode.
        inputs (Tensor): Images (N, 3, H, W).
        data_samples (list[DataSample]): Targets of the loss.

    Returns:
        int: Saved bytes.
    """
    seen: Dict[int, int] = {}

    def record(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
        return t

    def block_input(module, args) -> None:  # inputs kept for a checkpointed recomputation
        if getattr(module, '_mmped_cp', False) and args[0].requires_grad:
            record(args[0])

    handles = []
    for branch in getattr(model, 'af_net', []):
        for block in branch.post_blocks.values():
            block._mmped_cp = branch.with_cp
            handles.append(block.register_forward_pre_hook(block_input))
    try:
        with torch.autograd.graph.saved_tensors_hooks(record, lambda t: t):
            losses = model.loss(inputs, data_samples)
        for block in (b for br in getattr(model, 'af_net', []) for b in br.post_blocks.values()):
            block._mmped_cp = False  # the backward's recomputation is not counted again
        sum(losses.values()).backward()
    finally:
        for h in handles:
            h.remove()
    return sum(seen.values())


def build_stage2(with_cp: bool, num_classes: int = 26, af_layout: str = 'paper'):
    """Full-width BN-Inception HP-net in stage 2 (all three MDA branches trained)."""
    register_all_modules(init_default_scope=False)
    cfg = dict(type='mmped.HPNet', backbone=dict(type='mmped.BNInception'), stage=2,
               with_cp=with_cp, af_layout=af_layout,
               attention_cfg=dict(resize_mode='nearest'),
               data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
               head=dict(type='mmped.MultiLabelAttrHead', num_classes=num_classes,
                         loss=dict(type='mmped.WeightedBCELoss', mode='none',
                                   reduction='batchmean')))
    return MODELS.build(cfg).train()


def measure(size: int, batch_size: int, with_cp: bool, af_layout: str = 'paper') -> int:
    """Saved bytes of one stage-2 training step at ``size`` x ``size``."""
    torch.manual_seed(0)
    model = build_stage2(with_cp, af_layout=af_layout)
    inputs = torch.randn(batch_size, 3, size, size)
    samples = [DataSample().set_gt_score((torch.rand(26) > 0.5).float())
               for _ in range(batch_size)]
    return saved_bytes(model, inputs, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[224, 299])
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--config-batch', type=int, default=32)
    parser.add_argument('--af-layout', default='paper', choices=['paper', 'authors'])
    args = parser.parse_args()
    print('| input | with_cp | per image (MB) | batch %d (GB) |' % args.config_batch)
    print('|---|---|---|---|')
    for size in args.sizes:
        for with_cp in (False, True):
            per_image = measure(size, args.batch_size, with_cp, args.af_layout) / args.batch_size
            print(f'| {size} | {with_cp} | {per_image / 2**20:.0f} | '
                  f'{per_image * args.config_batch / 2**30:.1f} |')


if __name__ == '__main__':
    main()
