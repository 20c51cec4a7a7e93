# Copyright (c) mmped contributors. All rights reserved.
"""Loss values at non-default, asymmetric parameters and at every comparison's boundary
(mmped/models/losses). Expected values are computed here from the formulas with numpy, not
with the code under test."""
import math

import numpy as np
import pytest
import torch

from mmped.models.losses import (
    BoundedRegressionLoss,
    FeatureHintLoss,
    InstanceSensitiveMaskLoss,
    OIMLoss,
    SegDistillLoss,
    SoftHardCrossEntropyLoss,
    WeightedBCELoss,
    attribute_weights,
)


def _np_log_softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# --------------------------------------------------------------------------- OIM
def test_oim_momentum_at_an_asymmetric_value():
    """``lut[t] <- normalise(m * lut[t] + (1 - m) * x)`` (OIM): at m = 0.25 swapping the two
    weights changes the result ((0.7, 0.6) vs (0.9, 0.2) before normalising)."""
    loss = OIMLoss(num_features=2, num_pids=2, queue_size=1, momentum=0.25).train()
    loss.lut.copy_(torch.eye(2))
    loss(torch.tensor([[3.0, 4.0]]), torch.tensor([0]))
    np.testing.assert_allclose(loss.lut[0].numpy(), np.array([0.7, 0.6]) / math.sqrt(0.85),
                               rtol=1e-6)
    np.testing.assert_allclose(loss.lut[1].numpy(), [0.0, 1.0])


def test_oim_repeated_identity_is_updated_sequentially_at_asymmetric_momentum():
    """Two features of one identity in a batch: the second update starts from the first."""
    m = 0.25
    loss = OIMLoss(num_features=2, num_pids=1, queue_size=0, momentum=m).train()
    loss.lut.copy_(torch.tensor([[1.0, 0.0]]))
    x = np.array([[0.0, 1.0], [0.6, -0.8]])
    loss(torch.tensor(x, dtype=torch.float32), torch.tensor([0, 0]))
    v = np.array([1.0, 0.0])
    for f in x:
        v = m * v + (1 - m) * f
        v = v / np.linalg.norm(v)
    np.testing.assert_allclose(loss.lut[0].numpy(), v, rtol=1e-5, atol=1e-6)


def test_oim_momentum_zero_copies_the_feature_and_eval_mode_keeps_memories():
    loss = OIMLoss(num_features=2, num_pids=1, queue_size=2, momentum=0.0).train()
    loss.lut.copy_(torch.tensor([[1.0, 0.0]]))
    loss(torch.tensor([[3.0, 4.0], [0.0, -5.0]]), torch.tensor([0, -1]))
    np.testing.assert_allclose(loss.lut[0].numpy(), [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(loss.queue.numpy(), [[0.0, -1.0], [0.0, 0.0]], atol=1e-7)
    assert int(loss.queue_head) == 1
    loss.eval()
    loss(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), torch.tensor([0, -1]))
    np.testing.assert_allclose(loss.lut[0].numpy(), [0.6, 0.8], rtol=1e-6)
    assert int(loss.queue_head) == 1


def test_oim_loss_value_at_scale_30_and_loss_weight():
    """Cross entropy of ``scale * [lut; queue] @ x`` over labelled features only."""
    loss = OIMLoss(num_features=2, num_pids=2, queue_size=1, scale=30.0, loss_weight=0.5).eval()
    mem = np.array([[1.0, 0.0], [0.0, 1.0], [-0.6, 0.8]])
    loss.lut.copy_(torch.tensor(mem[:2], dtype=torch.float32))
    loss.queue.copy_(torch.tensor(mem[2:], dtype=torch.float32))
    x = np.array([[0.8, 0.6], [0.0, 2.0], [5.0, 0.0]])
    ids = np.array([1, 0, -1])
    out = loss(torch.tensor(x, dtype=torch.float32), torch.tensor(ids))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    logp = _np_log_softmax(30.0 * xn @ mem.T)
    expected = 0.5 * -np.mean([logp[0, 1], logp[1, 0]])
    assert out.item() == pytest.approx(expected, rel=1e-5)


def test_oim_argument_boundaries():
    """Accepted: momentum 0, queue_size 0, ids up to num_pids - 1; rejected: momentum 1,
    num_pids 0, negative queue, an id equal to num_pids, a feature size other than D."""
    OIMLoss(num_features=2, num_pids=1, queue_size=0, momentum=0.0)
    for kw in (dict(momentum=1.0), dict(num_pids=0), dict(queue_size=-1), dict(momentum=-0.1),
               dict(num_features=0)):
        args = dict(num_features=2, num_pids=1, queue_size=0)
        args.update(kw)
        with pytest.raises(ValueError):
            OIMLoss(**args)
    loss = OIMLoss(num_features=2, num_pids=2, queue_size=0)
    assert torch.isfinite(loss(torch.ones(1, 2), torch.tensor([1])))
    with pytest.raises(ValueError, match='num_pids'):
        loss(torch.ones(1, 2), torch.tensor([2]))
    with pytest.raises(ValueError, match='shape'):
        loss(torch.ones(1, 3), torch.tensor([1]))
    with pytest.raises(ValueError, match='person ids'):
        loss(torch.ones(2, 2), torch.tensor([1]))


def test_oim_queue_keeps_the_last_features_when_a_batch_overflows_it():
    loss = OIMLoss(num_features=2, num_pids=1, queue_size=2).train()
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    loss(feats, torch.tensor([-1, -1, -1]))
    # slots 0, 1, 0: the third feature overwrites the first; the head wraps to 1
    np.testing.assert_allclose(loss.queue.numpy(), [[-1.0, 0.0], [0.0, 1.0]])
    assert int(loss.queue_head) == 1


# --------------------------------------------------------------------------- weighted BCE
def _bce_np(logit, y):
    p = 1 / (1 + np.exp(-logit))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def _weights_np(y, p, mode):
    if mode == 'exp':
        return np.where(y > 0.5, np.exp(1 - p), np.exp(p))
    return np.where(y > 0.5, 0.5 / p, 0.5 / (1 - p))


def test_weighted_bce_running_ratio_drives_weights_and_loss():
    """The running ratio counts the current (training) batch before weighting; the next batch
    is weighted by the ratio over both; eval batches are weighted but never counted."""
    loss = WeightedBCELoss(mode='exp').train()
    y1 = np.array([[1, 0], [0, 0], [0, 0], [1, 1.]])
    x1 = np.array([[0.5, -1.0], [2.0, 0.0], [-0.5, 1.0], [1.0, 3.0]])
    out1 = loss(torch.tensor(x1), torch.tensor(y1))
    p1 = np.array([0.5, 0.25])  # this batch's own ratio
    exp1 = (_weights_np(y1, p1, 'exp') * _bce_np(x1, y1)).sum() / y1.size
    assert out1.item() == pytest.approx(exp1, rel=1e-6)

    y2 = np.array([[1, 1.]])
    x2 = np.array([[-1.0, 0.5]])
    out2 = loss(torch.tensor(x2), torch.tensor(y2))
    p2 = np.array([3 / 5, 2 / 5])
    exp2 = (_weights_np(y2, p2, 'exp') * _bce_np(x2, y2)).sum() / y2.size
    assert out2.item() == pytest.approx(exp2, rel=1e-6)

    loss.eval()
    y3 = np.array([[0, 0.]])
    x3 = np.array([[0.3, -0.2]])
    out3 = loss(torch.tensor(x3), torch.tensor(y3))
    exp3 = (_weights_np(y3, p2, 'exp') * _bce_np(x3, y3)).sum() / y3.size
    assert out3.item() == pytest.approx(exp3, rel=1e-6)
    assert loss.num_pos.tolist() == [3.0, 2.0] and loss.num_valid.tolist() == [5.0, 5.0]


def test_weighted_bce_invalid_entries_are_neither_counted_nor_weighted():
    loss = WeightedBCELoss(mode='dahar').train()
    y = np.array([[1, 1], [0, 1], [0, 0.]])
    valid = np.array([[True, False], [True, True], [True, True]])
    x = np.array([[1.0, 9.0], [0.0, -1.0], [2.0, 0.5]])
    out = loss(torch.tensor(x), torch.tensor(y), valid=torch.tensor(valid))
    p = np.array([1 / 3, 1 / 2])
    expected = (_weights_np(y, p, 'dahar') * valid * _bce_np(x, y)).sum() / valid.sum()
    assert out.item() == pytest.approx(expected, rel=1e-6)
    assert loss.num_pos.tolist() == [1.0, 1.0] and loss.num_valid.tolist() == [3.0, 2.0]


def test_weighted_bce_reductions_with_a_fixed_ratio():
    y = np.array([[1, 0, 1], [0, 0, 1.]])
    x = np.array([[0.2, -0.4, 1.5], [-2.0, 0.7, 0.1]])
    p = np.array([0.1, 0.3, 0.8])
    per = _weights_np(y, p, 'exp') * _bce_np(x, y)
    kw = dict(mode='exp', pos_ratio=p.tolist(), loss_weight=2.0)
    args = (torch.tensor(x), torch.tensor(y))
    assert WeightedBCELoss(reduction='sum', **kw)(*args).item() == pytest.approx(
        2 * per.sum(), rel=1e-6)
    assert WeightedBCELoss(reduction='batchmean', **kw)(*args).item() == pytest.approx(
        2 * per.sum() / 2, rel=1e-6)
    assert WeightedBCELoss(reduction='mean', **kw)(*args).item() == pytest.approx(
        2 * per.sum() / 6, rel=1e-6)
    assert WeightedBCELoss(reduction='mean', **kw)(*args, avg_factor=4.0).item() == \
        pytest.approx(2 * per.sum() / 4, rel=1e-6)
    np.testing.assert_allclose(WeightedBCELoss(reduction='none', **kw)(*args).numpy(), 2 * per,
                               rtol=1e-6)
    # a fixed ratio is not changed by training batches
    fixed = WeightedBCELoss(**kw).train()
    fixed(*args)
    np.testing.assert_allclose(fixed.pos_ratio.numpy(), p, rtol=1e-6)


def test_attribute_weight_label_threshold_and_ratio_bounds():
    """A label counts as positive when ``> 0.5``: exactly 0.5 takes the negative weight.
    ``pos_ratio`` must lie in [0, 1] (both ends accepted, then clamped to [eps, 1 - eps])."""
    w = attribute_weights(torch.tensor([[0.5, 0.51]]), torch.tensor([0.2, 0.2]), 'exp')
    np.testing.assert_allclose(w.numpy(), [[math.exp(0.2), math.exp(0.8)]], rtol=1e-6)
    w = attribute_weights(torch.tensor([[1.0, 0.0]]), torch.tensor([0.0, 1.0]), 'dahar',
                          eps=1e-3)
    np.testing.assert_allclose(w.numpy(), [[0.5 / 1e-3, 0.5 / 1e-3]], rtol=1e-3)
    assert attribute_weights(torch.tensor([[1.0]]), torch.tensor([0.3]), 'none').item() == 1.0
    WeightedBCELoss(pos_ratio=[0.0, 1.0])
    for bad in ([1.0001], [-0.0001]):
        with pytest.raises(ValueError, match='pos_ratio'):
            WeightedBCELoss(pos_ratio=bad)
    with pytest.raises(ValueError, match='mode'):
        attribute_weights(torch.ones(1, 1), torch.ones(1), 'log')


# --------------------------------------------------------------------------- distillation
def test_bounded_regression_margin_is_strict():
    """Chen et al.'s teacher bound: the L2 term applies when ``student + margin > teacher``;
    at equality it does not (0.5 = smooth L1 only, 1.0 with the bounded term)."""
    pred = torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    target = torch.zeros(1, 4)
    equal = BoundedRegressionLoss(eps=0.5, margin=0.0, beta=1.0)(pred, target, pred.clone())
    assert equal.item() == pytest.approx(0.5, rel=1e-6)
    worse = BoundedRegressionLoss(eps=0.5, margin=0.0, beta=1.0)(pred, target, pred * 0.99)
    assert worse.item() == pytest.approx(1.0, rel=1e-6)
    # margin 0.25: 1 + 0.25 > 1.2 -> bounded
    assert BoundedRegressionLoss(eps=0.5, margin=0.25, beta=1.0)(
        pred, target, pred * math.sqrt(1.2)).item() == pytest.approx(1.0, rel=1e-6)


def test_bounded_regression_values_weights_and_reductions():
    pred = np.array([[0.5, -2.0, 0.0, 1.0], [0.0, 0.2, 0.0, 0.0]])
    target = np.zeros((2, 4))
    teacher = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    weight = np.array([[1, 1, 0, 1], [1, 1, 1, 1.]])
    d = np.abs(pred - target)
    beta = 0.5
    sl1 = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    s_sq = ((pred - target)**2 * weight).sum(1)
    t_sq = ((teacher - target)**2 * weight).sum(1)
    bounded = s_sq * (s_sq > t_sq)
    total = (sl1 * weight).sum() + 0.3 * bounded.sum()
    loss = BoundedRegressionLoss(eps=0.3, beta=beta, loss_weight=2.0)
    args = [torch.tensor(a, dtype=torch.float32) for a in (pred, target, teacher, weight)]
    assert loss(*args).item() == pytest.approx(2 * total / 2, rel=1e-5)
    assert loss(*args, avg_factor=5.0).item() == pytest.approx(2 * total / 5, rel=1e-5)
    assert BoundedRegressionLoss(eps=0.3, beta=beta, reduction='sum')(*args).item() == \
        pytest.approx(total, rel=1e-5)
    # beta 0: plain L1; per-sample (R,) weights broadcast over the 4 coordinates
    l1 = BoundedRegressionLoss(eps=0.0, beta=0.0, reduction='sum')
    out = l1(args[0], args[1], args[2], torch.tensor([1.0, 0.0]))
    assert out.item() == pytest.approx(3.5, rel=1e-6)
    assert l1(torch.zeros(0, 4), torch.zeros(0, 4), torch.zeros(0, 4)).item() == 0.0
    with pytest.raises(ValueError):
        BoundedRegressionLoss(reduction='none')


def test_soft_hard_cross_entropy_value_at_asymmetric_zeta_and_temperature():
    s = np.array([[1.0, -0.5, 0.2], [0.0, 2.0, -1.0]])
    t = np.array([[0.3, 0.1, -2.0], [1.0, 1.0, 0.0]])
    label = np.array([2, 1])
    logp = _np_log_softmax(s)
    soft_t = np.exp(_np_log_softmax(t / 2.0))
    per = 0.25 * -logp[np.arange(2), label] + 0.75 * -(soft_t * logp).sum(1)
    loss = SoftHardCrossEntropyLoss(zeta=0.25, temperature=2.0, loss_weight=3.0)
    ts = [torch.tensor(a, dtype=torch.float32) for a in (s, t)]
    out = loss(ts[0], torch.tensor(label), ts[1])
    assert out.item() == pytest.approx(3.0 * per.mean(), rel=1e-5)
    w = torch.tensor([1.0, 0.0])
    assert loss(ts[0], torch.tensor(label), ts[1], weight=w, avg_factor=1.0).item() == \
        pytest.approx(3.0 * per[0], rel=1e-5)
    SoftHardCrossEntropyLoss(zeta=0.0)
    SoftHardCrossEntropyLoss(zeta=1.0)
    for kw in (dict(zeta=1.01), dict(zeta=-0.01), dict(temperature=0.0)):
        with pytest.raises(ValueError):
            SoftHardCrossEntropyLoss(**kw)
    with pytest.raises(ValueError, match='differ'):
        loss(ts[0], torch.tensor(label), ts[1][:, :2])


def test_seg_distill_value_with_ignored_cells():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(1, 3, 2, 2))
    t = rng.normal(size=(1, 3, 2, 2))
    target = np.array([[[0, 2], [255, 1]]])
    logp = _np_log_softmax(s, axis=1)
    cells = [(0, 0), (0, 1), (1, 1)]
    gt_term = -np.mean([logp[0, target[0, i, j], i, j] for i, j in cells])
    soft = np.exp(_np_log_softmax(t / 0.5, axis=1))
    kd = -(soft * logp).sum(1).mean()
    loss = SegDistillLoss(xi=0.25, temperature=0.5, loss_weight=2.0)
    st, tt = (torch.tensor(a, dtype=torch.float32) for a in (s, t))
    out = loss(st, torch.tensor(target), tt)
    assert out.item() == pytest.approx(2.0 * (0.25 * gt_term + 0.75 * kd), rel=1e-5)
    assert loss(st, torch.tensor(target)).item() == pytest.approx(2.0 * 0.25 * gt_term,
                                                                   rel=1e-5)
    all_ign = loss(st, torch.full((1, 2, 2), 255), tt)
    assert all_ign.item() == pytest.approx(2.0 * 0.75 * kd, rel=1e-5)
    SegDistillLoss(xi=0.0)
    SegDistillLoss(xi=1.0)
    for xi in (1.01, -0.01):
        with pytest.raises(ValueError):
            SegDistillLoss(xi=xi)
    with pytest.raises(ValueError, match='differ'):
        loss(st, torch.tensor(target), tt[:, :2])


def test_feature_hint_mean_and_sum_without_adaptation():
    s = torch.tensor([[[[1.0, 2.0]], [[0.0, -1.0]]]])  # (1, 2, 1, 2)
    t = torch.tensor([[[[0.0, 0.0]], [[1.0, 1.0]]]])
    sq = np.array([1.0, 4.0, 1.0, 4.0])
    assert FeatureHintLoss(2, loss_weight=0.5)(s, t).item() == pytest.approx(0.5 * sq.mean())
    assert FeatureHintLoss(2, loss_weight=0.5, reduction='sum')(s, t).item() == \
        pytest.approx(0.5 * sq.sum())
    adapted = FeatureHintLoss(2, teacher_channels=4)
    assert isinstance(adapted.adaptation, torch.nn.Conv2d)
    assert adapted.adaptation.out_channels == 4
    with pytest.raises(ValueError, match='match'):
        adapted(s, t)
    with pytest.raises(ValueError):
        FeatureHintLoss(2, reduction='none')


def test_instance_sensitive_weights_and_normalisation_over_all_pixels():
    """GDFL eq. 5: ``w = alpha + beta / h`` on foreground, 1 on background, 0 where invalid;
    the weighted sum is divided by the number of all pixels (invalid ones included)."""
    logits = np.array([[[[2.0, 0.0, -1.0]], [[0.0, 1.0, 0.5]]]])  # (1, 2, 1, 3)
    labels = np.array([[[1, 0, 1]]])
    heights = np.array([[[20.0, 0.0, 40.0]]])
    valid = np.array([[[True, True, False]]])
    logp = _np_log_softmax(logits, axis=1)
    ce = -np.array([logp[0, labels[0, 0, k], 0, k] for k in range(3)])
    w = np.array([3 + 10 / 20, 1.0, 0.0])
    loss = InstanceSensitiveMaskLoss(alpha=3.0, beta=10.0, loss_weight=2.0)
    out = loss(*(torch.tensor(a) for a in (logits, labels, heights, valid)))
    assert out.item() == pytest.approx(2.0 * (w * ce).sum() / 3, rel=1e-5)
    np.testing.assert_allclose(
        loss.pixel_weights(torch.tensor(labels), torch.tensor(heights)).numpy()[0, 0],
        [3.5, 1.0, 3.25], rtol=1e-6)
    with pytest.raises(ValueError, match='spatial'):
        loss(torch.zeros(1, 2, 2, 3), torch.tensor(labels), torch.tensor(heights))


def test_error_messages_name_the_bad_value():
    """Constructor and input checks say what was wrong (mutants that blank the message die)."""
    cases = [
        (lambda: BoundedRegressionLoss(reduction='none'), "reduction must be 'mean' or 'sum'"),
        (lambda: FeatureHintLoss(2, reduction='none'), "reduction must be 'mean' or 'sum'"),
        (lambda: SoftHardCrossEntropyLoss(zeta=2.0), r'zeta must be in \[0, 1\], got 2.0'),
        (lambda: SoftHardCrossEntropyLoss(temperature=0.0), 'temperature must be positive'),
        (lambda: SegDistillLoss(xi=-1.0), r'xi must be in \[0, 1\], got -1.0'),
        (lambda: OIMLoss(num_features=2, num_pids=0, queue_size=0),
         'invalid OIM sizes: num_features=2, num_pids=0, queue_size=0'),
        (lambda: OIMLoss(num_features=2, num_pids=1, queue_size=0, momentum=1.0),
         r'momentum must be in \[0, 1\), got 1.0'),
        (lambda: WeightedBCELoss(reduction='avg'), "reduction must be one of .*got 'avg'"),
        (lambda: WeightedBCELoss(pos_ratio=[2.0]), r'^pos_ratio values must lie in \[0, 1\]$'),
        (lambda: WeightedBCELoss(pos_ratio=[0.5])(torch.zeros(1, 2), torch.zeros(1, 2)),
         'pos_ratio has 1 entries but the labels have 2 attributes'),
        (lambda: WeightedBCELoss()(torch.zeros(1, 2), torch.zeros(2, 1)),
         r'cls_score \(1, 2\) and gt_score \(2, 1\) must have the same shape'),
        (lambda: OIMLoss(num_features=2, num_pids=1, queue_size=0)(torch.ones(3, 2),
                                                                  torch.tensor([0])),
         '1 person ids for 3 features'),
        (lambda: InstanceSensitiveMaskLoss()(torch.zeros(1, 2, 2, 3), torch.zeros(1, 2, 2),
                                             torch.zeros(1, 2, 2)),
         r'^logits \(1, 2, 2, 3\) and labels \(1, 2, 2\) have different spatial sizes$'),
    ]
    for make, message in cases:
        with pytest.raises(ValueError, match=message):
            make()


def test_one_feature_oim_and_one_pixel_mask_loss():
    """Boundary sizes: D = 1 is a valid OIM feature size; a 1-pixel mask is averaged over 1."""
    assert OIMLoss(num_features=1, num_pids=1, queue_size=0).num_features == 1
    loss = InstanceSensitiveMaskLoss(alpha=1.0, beta=1.0)
    logits = torch.tensor([[[[1.0]], [[0.0]]]])
    ce = -_np_log_softmax([1.0, 0.0])[1]
    out = loss(logits, torch.tensor([[[1]]]), torch.tensor([[[0.5]]]))
    assert out.item() == pytest.approx((1 + 1 / 0.5) * ce, rel=1e-6)  # sub-pixel height kept


def test_bounded_regression_with_a_non_zero_target():
    pred = torch.tensor([[2.0, 1.0, 0.0, 0.0]])
    target = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    teacher = torch.tensor([[1.0, 1.0, 1.0, 0.5]])  # error 0.25 < student's 2
    out = BoundedRegressionLoss(eps=0.5, beta=1.0, reduction='sum')(pred, target, teacher)
    # smooth L1: |1| -> 0.5, 0, |1| -> 0.5, 0; bounded: 0.5 * (1 + 1)
    assert out.item() == pytest.approx(1.0 + 1.0, rel=1e-6)


def test_weighted_bce_counts_soft_half_labels_as_negative_and_single_samples():
    """Running counts use the same ``> 0.5`` rule as the weights, and a batch with one valid
    label per attribute gives a ratio of 0 or 1 (no clamping of the count)."""
    loss = WeightedBCELoss(mode='exp').train()
    loss(torch.zeros(1, 2), torch.tensor([[0.5, 1.0]]))
    assert loss.num_pos.tolist() == [0.0, 1.0] and loss.num_valid.tolist() == [1.0, 1.0]
    np.testing.assert_allclose(loss.current_ratio(torch.zeros(0, 2), torch.zeros(0, 2, dtype=bool))
                               .numpy(), [0.0, 1.0])
    one = WeightedBCELoss(mode='exp').train()
    one(torch.zeros(1, 1), torch.ones(1, 1))
    one.eval()
    one(torch.zeros(1, 1), torch.zeros(1, 1))  # eval: not counted, even with one attribute
    assert one.num_pos.tolist() == [1.0] and one.num_valid.tolist() == [1.0]
    assert {'num_pos', 'num_valid'} <= set(WeightedBCELoss().state_dict())


def test_documented_defaults():
    """The defaults the docstrings state (paper values or documented choices)."""
    def attrs(obj, names):
        return {n: getattr(obj, n) for n in names}

    oim = OIMLoss()
    assert attrs(oim, ['num_features', 'num_pids', 'queue_size', 'scale', 'momentum',
                       'loss_weight']) == dict(num_features=2048, num_pids=5532, queue_size=5000,
                                               scale=10.0, momentum=0.5, loss_weight=1.0)
    assert attrs(BoundedRegressionLoss(), ['eps', 'margin', 'beta', 'loss_weight',
                                           'reduction']) == dict(eps=0.5, margin=0.0, beta=None,
                                                                 loss_weight=1.0,
                                                                 reduction='mean')
    assert attrs(SoftHardCrossEntropyLoss(), ['zeta', 'temperature', 'loss_weight',
                                              'reduction']) == dict(zeta=0.5, temperature=1.0,
                                                                    loss_weight=1.0,
                                                                    reduction='mean')
    assert attrs(SegDistillLoss(), ['xi', 'temperature', 'loss_weight', 'ignore_index']) == \
        dict(xi=0.5, temperature=1.0, loss_weight=1.0, ignore_index=255)
    hint = FeatureHintLoss(4)
    assert attrs(hint, ['student_channels', 'teacher_channels', 'loss_weight', 'reduction']) \
        == dict(student_channels=4, teacher_channels=4, loss_weight=0.5, reduction='mean')
    assert hint.init_cfg == dict(type='Normal', layer='Conv2d', std=0.01, bias=0)
    assert FeatureHintLoss(4, teacher_channels=8).teacher_channels == 8
    assert attrs(InstanceSensitiveMaskLoss(), ['alpha', 'beta', 'loss_weight']) == dict(
        alpha=3.0, beta=10.0, loss_weight=1.0)
    wbce = WeightedBCELoss()
    assert attrs(wbce, ['mode', 'reduction', 'loss_weight', 'eps', 'pos_ratio']) == dict(
        mode='exp', reduction='mean', loss_weight=1.0, eps=1e-6, pos_ratio=None)
    assert wbce.num_pos.dtype == torch.float64 and wbce.num_valid.dtype == torch.float64
    assert wbce.num_pos.numel() == 0 and wbce.num_valid.numel() == 0
    assert WeightedBCELoss(pos_ratio=[0.25]).pos_ratio.dtype == torch.float32


def test_oim_occurrence_rank_counts_each_identity_in_input_order():
    """Round ``r`` of the memory update holds the r-th appearance of every identity."""
    ids = torch.tensor([1, -1, 1, 0, -1, 2, 1, 0])
    occ = OIMLoss._occurrence_rank(ids, ids >= 0)
    labelled = (ids >= 0).nonzero().flatten()
    assert occ[labelled].tolist() == [0, 1, 0, 0, 2, 1]
