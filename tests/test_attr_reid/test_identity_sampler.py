# Copyright (c) mmped contributors. All rights reserved.
"""P x K identity-balanced sampler: batch composition, seeding, distributed shares."""
from typing import List

import numpy as np
import pytest

import mmped.datasets.samplers.identity_balanced_sampler as sampler_module
from mmped.datasets import IdentityBalancedSampler, Market1501Dataset
from mmped.registry import DATA_SAMPLERS


class LabelDataset:
    """Minimal dataset exposing ``gt_label`` data infos."""

    def __init__(self, labels: List[int]) -> None:
        self.labels = list(labels)

    def __len__(self) -> int:
        return len(self.labels)

    def get_data_info(self, i: int) -> dict:
        return dict(gt_label=self.labels[i])


# identities with 1, 2, 3, 4, 5, 7, 9 and 13 images: several below K = 4
UNEVEN = [pid for pid, n in enumerate((1, 2, 3, 4, 5, 7, 9, 13)) for _ in range(n)]


def _sampler(labels, P=3, K=4, seed=0, rank=0, world=1, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (rank, world))
    return IdentityBalancedSampler(LabelDataset(labels), num_ids_per_batch=P, num_instances=K,
                                   seed=seed)


def test_every_batch_has_p_ids_with_k_items():
    labels = np.array(UNEVEN)
    s = _sampler(UNEVEN, P=3, K=4)
    # groups per id: 1, 1, 1, 1, 1, 1, 2, 3 -> 11 groups -> 3 batches of 12
    assert s.num_batches == 3 and len(s) == 36
    for epoch in range(4):
        s.set_epoch(epoch)
        idx = np.array(list(s))
        assert len(idx) == len(s)
        for batch in idx.reshape(-1, 12):
            pids, counts = np.unique(labels[batch], return_counts=True)
            assert len(pids) == 3 and (counts == 4).all()
            # the K items of an id are consecutive
            assert (labels[batch].reshape(3, 4) == labels[batch].reshape(3, 4)[:, :1]).all()
            # an id with >= K images never repeats an image inside its group
            for group in batch.reshape(3, 4):
                if np.sum(labels == labels[group[0]]) >= 4:
                    assert len(set(group.tolist())) == 4


def test_small_identities_sampled_with_replacement_from_their_images():
    labels = np.array([0, 1, 1, 2, 2, 2])
    s = _sampler(labels.tolist(), P=3, K=4)
    batch = np.array(list(s)).reshape(3, 4)
    for group in batch:
        assert (labels[group] == labels[group[0]]).all()
    single = batch[labels[batch[:, 0]] == 0][0]
    assert (single == 0).all()


def test_seeded_and_epoch_dependent():
    a, b = _sampler(UNEVEN, seed=3), _sampler(UNEVEN, seed=3)
    first = list(a)
    assert first == list(b)
    a.set_epoch(1)
    second = list(a)
    assert second != first
    b.set_epoch(1)
    assert list(b) == second
    a.set_epoch(0)
    assert list(a) == first
    assert list(_sampler(UNEVEN, seed=4)) != first


def test_distributed_shares_disjoint_equal_and_cover_the_stream(monkeypatch):
    # every id has exactly K images: one group each, so the stream has no repeated image
    labels = [pid for pid in range(12) for _ in range(2)]
    ranks = [_sampler(labels, P=3, K=2, seed=5, rank=r, world=2, monkeypatch=monkeypatch)
             for r in range(2)]
    shares = [np.array(list(s)) for s in ranks]
    assert len(shares[0]) == len(shares[1]) == len(ranks[0]) == 12
    assert not set(shares[0].tolist()) & set(shares[1].tolist())
    stream = ranks[0].epoch_stream().reshape(-1, 6)
    assert np.array_equal(np.sort(stream.reshape(-1)), np.arange(24))
    interleaved = np.stack([shares[0].reshape(-1, 6), shares[1].reshape(-1, 6)], 1)
    assert np.array_equal(interleaved.reshape(-1, 6), stream)


def test_distributed_round_up_with_uneven_identities(monkeypatch):
    # 11 groups, P = 3 -> 3 batches, rounded up to 4 for 2 ranks (2 per rank)
    labels = np.array(UNEVEN)
    ranks = [_sampler(UNEVEN, P=3, K=4, seed=1, rank=r, world=2, monkeypatch=monkeypatch)
             for r in range(2)]
    for s in ranks:
        s.set_epoch(2)
    shares = [np.array(list(s)).reshape(-1, 12) for s in ranks]
    assert shares[0].shape == shares[1].shape == (2, 12)
    stream = ranks[1].epoch_stream().reshape(-1, 12)
    assert np.array_equal(shares[0], stream[0::2]) and np.array_equal(shares[1], stream[1::2])
    for batch in stream:
        pids, counts = np.unique(labels[batch], return_counts=True)
        assert len(pids) == 3 and (counts == 4).all()


def test_errors():
    with pytest.raises(ValueError, match='fewer than'):
        _sampler([0, 0, 1, 1], P=3, K=2)
    with pytest.raises(ValueError, match='positive'):
        _sampler([0, 1, 2], P=0, K=2)
    with pytest.raises(KeyError, match="item 0 .*'pid'"):
        IdentityBalancedSampler(LabelDataset([0, 1]), num_ids_per_batch=1, seed=0,
                                label_key='pid')
    with pytest.raises(TypeError, match='get_data_info'):
        IdentityBalancedSampler([0, 1], num_ids_per_batch=1, seed=0)


def test_registry_build_on_reid_dataset(tiny_reid_root):
    ds = Market1501Dataset(data_root=str(tiny_reid_root / 'market'), split='train',
                           lazy_init=False)
    s = DATA_SAMPLERS.build(
        dict(type='IdentityBalancedSampler', num_ids_per_batch=2, num_instances=2),
        default_args=dict(dataset=ds, seed=0))
    idx = list(s)
    # 4 ids x 2 images -> 4 groups -> 2 batches of 2 ids x 2 images
    assert len(idx) == len(s) == 8
    labels = np.array([ds.get_data_info(i)['gt_label'] for i in idx]).reshape(2, 2, 2)
    assert (labels == labels[:, :, :1]).all() and (labels[:, 0, 0] != labels[:, 1, 0]).all()
