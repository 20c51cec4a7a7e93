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

    Under DDP the memories need no broadcast: every rank applies the same gathered update.
    They are listed in ``replicated_buffers``, which
    :func:`mmped.utils.dist_env.exclude_replicated_buffers` hands to DDP as buffers to ignore
    (86 MB per iteration on CUHK-SYSU otherwise, when the wrapper broadcasts buffers).
    """

    replicated_buffers = ('lut', 'queue', 'queue_head')

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
        self._check_person_ids(person_ids)
        feats = F.normalize(feats, dim=1)
        logits = self.scale * feats @ torch.cat([self.lut, self.queue], dim=0).t()
        # mean over labelled features without a host sync: unlabelled targets are ignored and
        # the sum is divided by the (device-side) count; no labelled feature gives 0 * logits
        labelled = person_ids >= 0
        targets = torch.where(labelled, person_ids, torch.full_like(person_ids, -100))
        loss = F.cross_entropy(logits, targets, ignore_index=-100, reduction='sum')
        loss = loss / labelled.sum().clamp(min=1)
        if self.training:
            self.update(*self._gather(feats, person_ids))
        return self.loss_weight * loss

    def _check_person_ids(self, person_ids: Tensor) -> None:
        """Refuse identities ``>= num_pids``: a ValueError on CPU, a device-side assert elsewhere.

        The device assert fails the next synchronising call instead of stopping the step for a
        host-device round trip every iteration.
        """
        too_large = person_ids >= self.num_pids
        if person_ids.device.type == 'cpu':
            if too_large.any():
                raise ValueError(
                    f'person id {int(person_ids.max())} >= num_pids={self.num_pids}')
        else:
            # not reached on the CPU (mutants equivalent there, docs/testing.md)
            torch._assert_async(~too_large.any(),  # pragma: no mutate
                                f'a person id is >= num_pids={self.num_pids}')

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
        # one host transfer per update: how many features fall in each occurrence round (the
        # r-th appearance of an identity in input order) and how many are unlabelled; the
        # features are then sliced by position, without boolean indexing (a sync each)
        occurrence = self._occurrence_rank(person_ids, labelled)
        rounds = torch.where(labelled, occurrence, torch.full_like(occurrence, -1))
        order = torch.sort(rounds, stable=True).indices
        counts = torch.bincount(rounds + 1, minlength=1).tolist()
        num_unlabelled, round_sizes = counts[0], counts[1:]
        start = num_unlabelled
        for size in round_sizes:
            idx = order[start:start + size]
            rid = person_ids[idx]
            new = self.momentum * self.lut[rid] + (1.0 - self.momentum) * feats[idx]
            self.lut[rid] = F.normalize(new, dim=1)
            start += size
        if num_unlabelled and self.queue_size:
            unl_feats = feats[order[:num_unlabelled]]  # input order (stable sort)
            slots = (self.queue_head + torch.arange(num_unlabelled, device=feats.device)
                     ) % self.queue_size
            keep = slice(max(0, num_unlabelled - self.queue_size), num_unlabelled)
            self.queue[slots[keep]] = unl_feats[keep]  # later features overwrite earlier
            self.queue_head.copy_((self.queue_head + num_unlabelled) % self.queue_size)

    @staticmethod
    def _occurrence_rank(person_ids: Tensor, labelled: Tensor) -> Tensor:
        """The occurrence index of every labelled identity in input order (0 for its first).

        Updating round ``r`` (all ``r``-th occurrences at once) equals the sequential
        per-feature update, because an identity appears at most once per round.

        Args:
            person_ids (Tensor): Shape (N, ).
            labelled (Tensor): Shape (N, ), bool; unlabelled entries get arbitrary ranks.

        Returns:
            Tensor: Shape (N, ), long.
        """
        n = person_ids.numel()
        keys = torch.where(labelled, person_ids, torch.full_like(person_ids, -1))
        order = torch.sort(keys, stable=True).indices
        sorted_ids = keys[order]
        first = torch.ones_like(sorted_ids, dtype=torch.bool)
        first[1:] = sorted_ids[1:] != sorted_ids[:-1]
        positions = torch.arange(n, device=person_ids.device)
        start = torch.cummax(torch.where(first, positions, torch.zeros_like(positions)),
                             dim=0).values
        occurrence = torch.empty_like(person_ids)
        occurrence[order] = positions - start
        return occurrence
