# Copyright (c) mmped contributors. All rights reserved.
"""Online Instance Matching (OIM) loss for person search (Xiao et al., CVPR 2017)."""
from typing import Tuple

import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from mmengine.dist import get_world_size
from torch import Tensor, nn

from mmped.registry import MODELS


def gather_variable(tensor: Tensor) -> Tensor:
    """Concatenate a tensor with a variable first dimension from all ranks (rank order).

    Every rank receives the same result, so buffers updated from it stay identical across
    replicas. Without an initialised process group (or with one rank) the input is returned.

    Args:
        tensor (Tensor): Shape (N_r, ...) on rank r; the trailing shape and dtype must agree.

    Returns:
        Tensor: Shape (sum_r N_r, ...), no gradient.
    """
    tensor = tensor.detach()
    if not (torch_dist.is_available() and torch_dist.is_initialized()) or get_world_size() == 1:
        return tensor
    world_size = get_world_size()
    size = torch.tensor([tensor.shape[0]], device=tensor.device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(world_size)]
    torch_dist.all_gather(sizes, size)
    sizes = [int(s.item()) for s in sizes]
    max_size = max(sizes)
    padded = tensor.new_zeros((max_size, *tensor.shape[1:]))
    padded[:tensor.shape[0]] = tensor
    gathered = [torch.zeros_like(padded) for _ in range(world_size)]
    torch_dist.all_gather(gathered, padded)
    return torch.cat([g[:s] for g, s in zip(gathered, sizes)], dim=0)


@MODELS.register_module()
class OIMLoss(nn.Module):
    """OIM loss: a softmax over labelled-identity prototypes and unlabelled-person features.

    The lookup table ``lut`` (``num_pids x D``) holds one L2-normalised prototype per labelled
    identity; the circular queue ``queue`` (``queue_size x D``) holds the features of the most
    recent unlabelled people. For an L2-normalised feature ``x`` with identity ``t`` the loss is
    the cross entropy of ``scale * [lut; queue] @ x`` with target ``t``; features of unlabelled
    people (``person_id < 0``) do not enter the cross entropy. Both memories are buffers (saved in
    checkpoints, moved with the model) and receive no gradient.

    After the loss (training mode only), the memories are updated with the features of **all
    ranks** (gathered in rank order), so every replica applies the same update:
    ``lut[t] <- normalise(momentum * lut[t] + (1 - momentum) * x)`` for labelled features, in
    input order (an identity appearing twice is updated twice, sequentially), and unlabelled
    features overwrite the oldest queue slots.

    Args:
        num_features (int): Feature dimension D. Defaults to 2048 (conv5 + GAP).
        num_pids (int): Number of labelled training identities (CUHK-SYSU 5532, PRW 482/483).
        queue_size (int): Length of the unlabelled queue (CUHK-SYSU 5000, PRW 500).
        scale (float): Logit scale (inverse temperature); 10 in the original OIM (T = 0.1),
            30 in later work. Defaults to 10.
        momentum (float): Lookup-table momentum. Defaults to 0.5.
        loss_weight (float): Weight of the loss (BUFF: lambda = 0.5). Defaults to 1.0.
    """

    def __init__(self,
                 num_features: int = 2048,
                 num_pids: int = 5532,
                 queue_size: int = 5000,
                 scale: float = 10.0,
                 momentum: float = 0.5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if num_pids <= 0 or num_features <= 0 or queue_size < 0:
            raise ValueError(f'invalid OIM sizes: num_features={num_features}, '
                             f'num_pids={num_pids}, queue_size={queue_size}')
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}')
        self.num_features = num_features
        self.num_pids = num_pids
        self.queue_size = queue_size
        self.scale = scale
        self.momentum = momentum
        self.loss_weight = loss_weight
        self.register_buffer('lut', torch.zeros(num_pids, num_features))
        self.register_buffer('queue', torch.zeros(queue_size, num_features))
        self.register_buffer('queue_head', torch.zeros((), dtype=torch.long))

    def forward(self, feats: Tensor, person_ids: Tensor) -> Tensor:
        """Compute the loss and (in training mode) update the memories.

        Args:
            feats (Tensor): Re-ID features of shape (N, D); normalised here.
            person_ids (Tensor): Shape (N, ), identity in ``[0, num_pids)`` or negative for an
                unlabelled person.

        Returns:
            Tensor: Scalar loss (mean over labelled features, times ``loss_weight``; zero with a
            gradient path when no feature is labelled).
        """
        if feats.dim() != 2 or feats.shape[1] != self.num_features:
            raise ValueError(f'expected feats of shape (N, {self.num_features}), '
                             f'got {tuple(feats.shape)}')
        person_ids = person_ids.long().view(-1)
        if person_ids.numel() != feats.shape[0]:
            raise ValueError(f'{person_ids.numel()} person ids for {feats.shape[0]} features')
        if (person_ids >= self.num_pids).any():
            raise ValueError(f'person id {int(person_ids.max())} >= num_pids={self.num_pids}')
        feats = F.normalize(feats, dim=1)
        logits = self.scale * feats @ torch.cat([self.lut, self.queue], dim=0).t()
        labelled = person_ids >= 0
        if labelled.any():
            loss = F.cross_entropy(logits[labelled], person_ids[labelled])
        else:
            loss = logits.sum() * 0.0
        if self.training:
            self.update(*self._gather(feats, person_ids))
        return self.loss_weight * loss

    @staticmethod
    def _gather(feats: Tensor, person_ids: Tensor) -> Tuple[Tensor, Tensor]:
        return gather_variable(feats), gather_variable(person_ids)

    @torch.no_grad()
    def update(self, feats: Tensor, person_ids: Tensor) -> None:
        """Update lookup table and queue with (already gathered) normalised features.

        Args:
            feats (Tensor): Shape (N, D), L2-normalised.
            person_ids (Tensor): Shape (N, ); negative = unlabelled.
        """
        feats = feats.detach().to(self.lut.dtype)
        labelled = person_ids >= 0
        ids, lab_feats = person_ids[labelled], feats[labelled]
        if ids.numel():
            # occurrence rank of every id in input order: round r updates the r-th occurrence
            # of each identity at once, which equals the sequential per-sample update
            order = torch.sort(ids, stable=True).indices
            sorted_ids = ids[order]
            first = torch.ones_like(sorted_ids, dtype=torch.bool)
            first[1:] = sorted_ids[1:] != sorted_ids[:-1]
            start = torch.cummax(torch.where(first, torch.arange(len(ids), device=ids.device),
                                             torch.zeros_like(ids)), dim=0).values
            occurrence = torch.empty_like(ids)
            occurrence[order] = torch.arange(len(ids), device=ids.device) - start
            for r in range(int(occurrence.max()) + 1):
                sel = occurrence == r
                rid = ids[sel]
                new = self.momentum * self.lut[rid] + (1.0 - self.momentum) * lab_feats[sel]
                self.lut[rid] = F.normalize(new, dim=1)
        unl_feats = feats[~labelled]
        num = unl_feats.shape[0]
        if num and self.queue_size:
            slots = (self.queue_head + torch.arange(num, device=feats.device)) % self.queue_size
            keep = slice(max(0, num - self.queue_size), num)  # later features overwrite earlier
            self.queue[slots[keep]] = unl_feats[keep]
            self.queue_head.copy_((self.queue_head + num) % self.queue_size)
