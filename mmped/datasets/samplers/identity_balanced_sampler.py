# Copyright (c) mmped contributors. All rights reserved.
import math
from typing import Iterator, List, Optional, Sized

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmped.registry import DATA_SAMPLERS

__all__ = ['IdentityBalancedSampler', 'identity_labels']


def identity_labels(dataset: Sized, label_key: str = 'gt_label') -> np.ndarray:
    """Identity label of every item of ``dataset``, read from its data infos.

    Args:
        dataset (Sized): A dataset with ``get_data_info(i)`` (e.g.
            :class:`mmped.datasets.BaseReIDDataset`, whose train items hold ``gt_label``).
        label_key (str): Data-info key of the identity. Defaults to ``'gt_label'``.

    Returns:
        np.ndarray: int64 labels, shape (N,).

    Raises:
        TypeError: When the dataset has no ``get_data_info``.
        KeyError: When a data info lacks ``label_key`` (names the item index).
    """
    if not hasattr(dataset, 'get_data_info'):
        raise TypeError(f'{type(dataset).__name__} has no get_data_info(): the identity '
                        'sampler needs data infos with an identity label')
    labels = np.empty(len(dataset), dtype=np.int64)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if label_key not in info:
            raise KeyError(f'{type(dataset).__name__}: item {i} ({info.get("img_path")}) '
                           f'has no field {label_key!r}')
        labels[i] = int(np.asarray(info[label_key]).reshape(-1)[0])
    return labels


@DATA_SAMPLERS.register_module()
class IdentityBalancedSampler(Sampler):
    """P x K identity-balanced sampler for batch-hard triplet training (re-ID).

    Every batch of ``P * K`` consecutive indices holds ``P`` distinct identities with ``K``
    images each (Hermans et al. 2017, "In Defense of the Triplet Loss"; the batches of Luo et
    al.'s "Bag of Tricks": P = 16, K = 4). Set the dataloader ``batch_size`` to
    ``num_ids_per_batch * num_instances``.

    An epoch: the images of each identity are shuffled and cut into groups of K (the
    remainder is dropped); an identity with fewer than K images gives one group drawn with
    replacement. ``num_groups // P`` batches are then formed (one pass over the data, as
    ``DefaultSampler``); each batch takes P distinct identities among those with groups left,
    drawn with probability proportional to the number of groups they have left (so large
    identities are not exhausted last). When fewer than P identities have groups left, the
    missing ones are drawn uniformly from the others and their groups are re-drawn: every
    batch is complete, and the number of batches per epoch does not depend on the draw, so
    ``len(dataloader)`` is the same every epoch. Within an epoch an image appears in at most
    one group unless such a refill (or sampling with replacement) happens.

    Seeded and epoch-dependent: the stream of epoch ``e`` is a function of ``(seed, e)``
    only (``set_epoch`` is called by mmengine's ``DistSamplerSeedHook``). Distributed: the
    global stream is rounded up to a multiple of ``world_size`` batches and rank ``r`` takes
    whole batches ``r, r + world_size, ...``: the ranks' shares are disjoint, of equal length
    and together are the epoch's stream, and each rank's batches are P x K batches.

    Args:
        dataset (Sized): Training dataset with ``get_data_info`` (``BaseReIDDataset``).
        num_ids_per_batch (int): P, identities per batch. Defaults to 16.
        num_instances (int): K, images per identity in a batch. Defaults to 4.
        seed (int, optional): Seed, the same on every rank. None draws one and broadcasts it
            (``sync_random_seed``). Defaults to None.
        label_key (str): Data-info key of the identity. Defaults to ``'gt_label'``.

    Raises:
        ValueError: When P or K is not positive, or the dataset has fewer than P identities.
    """

    def __init__(self,
                 dataset: Sized,
                 num_ids_per_batch: int = 16,
                 num_instances: int = 4,
                 seed: Optional[int] = None,
                 label_key: str = 'gt_label') -> None:
        if num_ids_per_batch < 1 or num_instances < 1:
            raise ValueError('num_ids_per_batch and num_instances must be positive, got '
                             f'{num_ids_per_batch} and {num_instances}')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.num_ids_per_batch = num_ids_per_batch
        self.num_instances = num_instances
        self.batch_size = num_ids_per_batch * num_instances
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0

        labels = identity_labels(dataset, label_key)
        ids, inverse = np.unique(labels, return_inverse=True)
        if len(ids) < num_ids_per_batch:
            raise ValueError(f'{type(dataset).__name__} has {len(ids)} identities, fewer than '
                             f'num_ids_per_batch={num_ids_per_batch}')
        order = np.argsort(inverse, kind='stable')
        counts = np.bincount(inverse, minlength=len(ids))
        # dataset indices of each identity
        self._members: List[np.ndarray] = np.split(order, np.cumsum(counts)[:-1])
        self._num_groups = np.maximum(counts // num_instances, 1)
        batches = max(int(self._num_groups.sum()) // num_ids_per_batch, 1)
        self.num_batches = math.ceil(batches / self.world_size)  # per rank
        self.total_batches = self.num_batches * self.world_size

    def _groups(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """Shuffled groups of K indices of identity ``k``, shape (G, K)."""
        members = self._members[k]
        K = self.num_instances
        if len(members) < K:
            return rng.choice(members, size=(1, K), replace=True)
        n = len(members) // K * K
        return rng.permutation(members)[:n].reshape(-1, K)

    def epoch_stream(self, epoch: Optional[int] = None) -> np.ndarray:
        """The whole (all ranks) index stream of an epoch.

        Args:
            epoch (int, optional): Epoch; defaults to the current one.

        Returns:
            np.ndarray: int64 dataset indices, shape (total_batches, P, K).
        """
        epoch = self.epoch if epoch is None else epoch
        rng = np.random.default_rng([self.seed, epoch])
        num_ids, P = len(self._members), self.num_ids_per_batch
        groups = [self._groups(rng, k) for k in range(num_ids)]
        left = np.array([len(g) for g in groups], dtype=np.int64)
        out = np.empty((self.total_batches, P, self.num_instances), dtype=np.int64)
        for b in range(self.total_batches):
            avail = np.flatnonzero(left)
            if len(avail) >= P:
                chosen = rng.choice(avail, size=P, replace=False,
                                    p=left[avail] / left[avail].sum())
            else:
                others = np.flatnonzero(left == 0)
                extra = rng.choice(others, size=P - len(avail), replace=False)
                for k in extra:
                    groups[k] = self._groups(rng, k)
                    left[k] = len(groups[k])
                chosen = np.concatenate([avail, extra])
            left[chosen] -= 1
            out[b] = [groups[k][left[k]] for k in chosen]
        return out

    def __iter__(self) -> Iterator[int]:
        stream = self.epoch_stream()
        return iter(stream[self.rank::self.world_size].reshape(-1).tolist())

    def __len__(self) -> int:
        """Number of indices of this rank per epoch (a multiple of P * K)."""
        return self.num_batches * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; the stream is a function of ``(seed, epoch)``."""
        self.epoch = epoch
