# Copyright (c) mmped contributors. All rights reserved.
"""Values of the losses' state and corner rules that the loss-level tests do not reach.

- OIM's ``gather_variable`` concatenates the ranks' variable-size batches in rank order
  (mmdet/mmengine ``all_gather`` of padded tensors, trimmed to each rank's size); tested here
  in-process with a two-rank stand-in of ``torch.distributed``.
- OIM's occurrence rank is the r-th appearance of an identity *in input order* (the reference
  updates the lookup table feature by feature), also with many repeats of one identity, where
  an unstable sort would reorder the repeats.
- ``WeightedBCELoss(pos_ratio='train_split')``: the hook's contract (``ratio_source``), its
  errors, the lazily sized buffer in checkpoints and the float32 ratio.
- ``BoundedRegressionLoss`` at ``beta = 0`` is the L1 loss with a finite gradient.
"""
import types

import numpy as np
import pytest
import torch

from mmped.models.losses import oim_loss
from mmped.models.losses.distill_bounded_reg import BoundedRegressionLoss
from mmped.models.losses.distill_seg import SegDistillLoss
from mmped.models.losses.weighted_bce_loss import WeightedBCELoss, attribute_weights


def _two_ranks(monkeypatch, peer):
    """Make ``gather_variable`` see rank 0 of two; rank 1 holds ``peer`` (its calls exchange
    the sizes first, then the padded rows)."""
    calls = []

    def all_gather(out, tensor):
        out[0].copy_(tensor)
        out[1].zero_()
        if len(calls) % 2 == 0:  # the size exchange
            out[1].fill_(peer.shape[0])
        else:
            out[1][:peer.shape[0]] = peer
        calls.append(tensor.shape)
    fake = types.SimpleNamespace(is_available=lambda: True, is_initialized=lambda: True,
                                 all_gather=all_gather)
    monkeypatch.setattr(oim_loss, 'torch_dist', fake)
    monkeypatch.setattr(oim_loss, 'get_world_size', lambda: 2)


@pytest.mark.parametrize('own_rows,peer_rows', [(3, 1), (1, 3)])
def test_gather_variable_concatenates_ranks_in_rank_order(monkeypatch, own_rows, peer_rows):
    """Rank 0's rows, then rank 1's, each trimmed to its own size (the padding dropped)."""
    own = torch.arange(own_rows * 2, dtype=torch.float32).reshape(own_rows, 2) + 1
    peer = -torch.arange(peer_rows * 2, dtype=torch.float32).reshape(peer_rows, 2) - 1
    _two_ranks(monkeypatch, peer)
    out = oim_loss.gather_variable(own.requires_grad_())
    assert out.tolist() == own.tolist() + peer.tolist()
    assert not out.requires_grad
    _two_ranks(monkeypatch, torch.tensor([-1, 2, 4])[:peer_rows])
    ids = oim_loss.gather_variable(torch.tensor([5, -1, 7])[:own_rows])
    assert ids.tolist() == [5, -1, 7][:own_rows] + [-1, 2, 4][:peer_rows]


def test_gather_variable_is_the_identity_on_one_rank(monkeypatch):
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    out = oim_loss.gather_variable(x)
    assert out.tolist() == [[1.0, 2.0]] and not out.requires_grad
    _two_ranks(monkeypatch, torch.zeros(1, 2))
    monkeypatch.setattr(oim_loss, 'get_world_size', lambda: 1)
    assert oim_loss.gather_variable(x).tolist() == [[1.0, 2.0]]


def test_occurrence_rank_counts_repeats_in_input_order():
    """20 repeats of identity 3 among others (enough for an unstable sort to reorder them):
    the k-th appearance of an identity gets rank k; unlabelled entries are not counted."""
    ids = torch.tensor([3, 1, -1] * 20)
    labelled = ids >= 0
    rank = oim_loss.OIMLoss._occurrence_rank(ids, labelled)
    assert rank[ids == 3].tolist() == list(range(20))
    assert rank[ids == 1].tolist() == list(range(20))


def test_train_split_ratio_contract_errors_and_dtype():
    """The hook finds ``ratio_source == 'train_split'``; a fixed ratio is ``'config'`` and the
    running estimate ``'running'``; the ratio is stored in float32 whatever its input."""
    assert WeightedBCELoss(pos_ratio=[0.5]).ratio_source == 'config'
    assert WeightedBCELoss().ratio_source == 'running'
    loss = WeightedBCELoss(pos_ratio='train_split')
    assert loss.ratio_source == 'train_split' and loss.pos_ratio.shape == (0, )
    assert loss.pos_ratio.dtype == torch.float32
    with pytest.raises(RuntimeError, match=r"^WeightedBCELoss\(pos_ratio='train_split'\) has no "
                       r"ratio yet: add "
                       r"dict\(type='mmped.AttributePosRatioHook'\) to custom_hooks \(it sets "
                       r"the training split's positive ratio before training\), or call "
                       r'set_pos_ratio\(dataset.positive_ratio\(\)\)'):
        loss(torch.zeros(1, 2), torch.ones(1, 2))
    loss.set_pos_ratio(np.array([0.25, 0.75], dtype=np.float64))
    assert loss.pos_ratio.dtype == torch.float32 and loss.pos_ratio.tolist() == [0.25, 0.75]
    with pytest.raises(ValueError, match="pos_ratio must be a sequence of floats, 'train_split' "
                       "or None, got 'train'"):
        WeightedBCELoss(pos_ratio='train')
    with pytest.raises(RuntimeError, match='set_pos_ratio needs a loss built with'):
        WeightedBCELoss(pos_ratio=[0.5]).set_pos_ratio([0.5])
    assert WeightedBCELoss(pos_ratio=np.array([0.5], dtype=np.float64)).pos_ratio.dtype \
        == torch.float32
    with pytest.raises(ValueError, match='pos_ratio has 0 entries but the labels have 2'):
        WeightedBCELoss(pos_ratio=[])(torch.zeros(1, 2), torch.ones(1, 2))


def test_train_split_ratio_travels_with_the_checkpoint():
    """A fresh ``'train_split'`` loss adopts the saved ratio's size; a fixed-ratio loss keeps
    its size (a mismatch is an error); a checkpoint without the buffer loads non-strictly."""
    saved = WeightedBCELoss(pos_ratio='train_split')
    saved.set_pos_ratio([0.2, 0.4, 0.9])
    fresh = WeightedBCELoss(pos_ratio='train_split')
    fresh.load_state_dict(saved.state_dict())
    assert fresh.pos_ratio.tolist() == pytest.approx([0.2, 0.4, 0.9])
    assert fresh.pos_ratio.dtype == torch.float32
    empty = WeightedBCELoss(pos_ratio='train_split')
    empty.load_state_dict({}, strict=False)
    assert empty.pos_ratio.shape == (0, )
    fixed = WeightedBCELoss(pos_ratio=[0.5, 0.5])
    with pytest.raises(RuntimeError, match='size mismatch'):
        fixed.load_state_dict(saved.state_dict())


def test_weights_default_mode_eps_and_float32():
    """``attribute_weights`` defaults to the exponential rule; ``p`` is clamped to
    ``[eps, 1 - eps]`` with the loss's ``eps``; weights are float32 for float64 ratios."""
    gt = torch.tensor([[1, 0]])
    w = attribute_weights(gt, torch.tensor([0.25, 0.25], dtype=torch.float64))
    assert w.dtype == torch.float32
    assert w[0].tolist() == pytest.approx([np.exp(0.75), np.exp(0.25)])
    loss = WeightedBCELoss(pos_ratio=[0.0, 1.0], eps=0.1, reduction='none')
    out = loss(torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]))
    # p clamped to 0.1 and 0.9: positive weight exp(0.9), negative weight exp(0.9)
    assert out[0].tolist() == pytest.approx([np.exp(0.9) * np.log(2)] * 2, rel=1e-5)


def test_plain_mode_uses_neither_ratio_nor_counts():
    """``mode='none'`` is plain BCE over valid entries: no running counts, no ratio needed,
    integer labels accepted."""
    loss = WeightedBCELoss(mode='none', reduction='sum')
    out = loss(torch.zeros(2, 2), torch.tensor([[1, 0], [0, 0]]),
               valid=torch.tensor([[1, 1], [0, 1]]))
    assert out.item() == pytest.approx(3 * np.log(2))
    assert loss.num_pos.numel() == 0
    assert WeightedBCELoss(mode='none', pos_ratio='train_split')(
        torch.zeros(1, 1), torch.ones(1, 1)).item() == pytest.approx(np.log(2))


def test_bounded_regression_at_beta_zero_is_l1_with_finite_gradients():
    """Smooth L1 with ``beta = 0`` is the L1 loss (mmdet's rule) and its gradient is the sign,
    not NaN from the unused quadratic branch; a single coordinate is a loss like any other."""
    loss = BoundedRegressionLoss(beta=0.0, margin=0.0, eps=0.0, reduction='sum')
    pred = torch.tensor([[0.5, -1.0, 0.0, 2.0]], requires_grad=True)
    out = loss(pred, torch.zeros(1, 4), torch.zeros(1, 4))
    out.backward()
    assert out.item() == pytest.approx(3.5)
    assert pred.grad.tolist() == [[1.0, -1.0, 0.0, 1.0]]
    one = BoundedRegressionLoss(beta=1.0, margin=0.0, eps=0.0, reduction='sum')
    assert one(torch.tensor([[3.0]]), torch.zeros(1, 1), torch.zeros(1, 1)).item() == 2.5
    with pytest.raises(ValueError, match=r'^BoundedRegressionLoss built without beta needs '
                       r'forward\(beta=\.\.\.\)$'):
        BoundedRegressionLoss(beta=None)(pred, torch.zeros(1, 4), torch.zeros(1, 4))


def test_seg_distillation_of_no_pixels_is_zero():
    out = SegDistillLoss()(torch.zeros(0, 2, 3, 3), torch.zeros(0, 3, 3, dtype=torch.long))
    assert out.item() == 0.0
