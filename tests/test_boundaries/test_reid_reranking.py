# Copyright (c) mmped contributors. All rights reserved.
"""k-reciprocal re-ranking (Zhong et al., CVPR 2017) against an independent, loop-by-loop
re-implementation of the paper's steps on small cases (a no-op or a wrong step changes the
values, unlike a "does not get worse" check)."""
import numpy as np
import pytest

from mmped.evaluation.functional import compute_distance, re_ranking


def _reciprocal(rank, i, k):
    """R(i, k): the k-nearest neighbours of i that also have i among their k-nearest."""
    return np.array([j for j in rank[i, :k + 1] if i in rank[j, :k + 1]], dtype=int)


def _reference(q_g, q_q, g_g, k1, k2, lam):
    nq = q_g.shape[0]
    d = np.block([[q_q, q_g], [q_g.T, g_g]]).astype(np.float64) ** 2
    d = (d / d.max(axis=0, keepdims=True)).T
    n = d.shape[0]
    rank = np.argsort(d, axis=1, kind='stable')
    v = np.zeros((n, n))
    for i in range(n):
        r = _reciprocal(rank, i, k1)
        members = set(r.tolist())
        for c in r:
            rc = _reciprocal(rank, c, int(np.around(k1 / 2)))
            if len(set(rc.tolist()) & set(r.tolist())) > 2 / 3 * len(rc):
                members |= set(rc.tolist())
        members = sorted(members)
        w = np.exp(-d[i, members])
        v[i, members] = w / w.sum()
    if k2 > 1:
        v = np.stack([v[rank[i, :k2]].mean(axis=0) for i in range(n)])
    jac = np.zeros((nq, n - nq))
    for i in range(nq):
        for j in range(n - nq):
            a, b = v[i], v[nq + j]
            jac[i, j] = 1 - np.minimum(a, b).sum() / np.maximum(a, b).sum()
    return (1 - lam) * jac + lam * d[:nq, nq:]


@pytest.mark.parametrize('k1,k2,lam', [(4, 3, 0.3), (3, 1, 0.6), (5, 2, 0.0)])
def test_re_ranking_equals_the_step_by_step_reference(k1, k2, lam):
    rng = np.random.default_rng(k1 * 10 + k2)
    centres = rng.normal(size=(3, 4)) * 2
    g = np.repeat(centres, 3, 0) + rng.normal(scale=0.6, size=(9, 4))
    q = centres + rng.normal(scale=0.8, size=(3, 4))
    qg, qq, gg = compute_distance(q, g), compute_distance(q, q), compute_distance(g, g)
    out = re_ranking(qg, qq, gg, k1=k1, k2=k2, lambda_value=lam)
    ref = _reference(qg, qq, gg, k1, k2, lam)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    assert out.dtype == np.float32 and out.shape == (3, 9)


def test_re_ranking_hand_worked_two_clusters():
    """1 query, 3 gallery items on a line: q=0, g=(0.1, 0.2, 5). With k1=1 each point's
    reciprocal set is itself and its mutual nearest neighbour; q and g0 are mutual nearest
    neighbours, so their Jaccard distance is 0 and the final distance is lambda * d(q, g0)."""
    q = np.array([[0.0]])
    g = np.array([[0.1], [0.2], [5.0]])
    qg, qq, gg = compute_distance(q, g), compute_distance(q, q), compute_distance(g, g)
    out = re_ranking(qg, qq, gg, k1=1, k2=1, lambda_value=0.5)
    ref = _reference(qg, qq, gg, 1, 1, 0.5)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # far item: disjoint k-reciprocal sets -> Jaccard 1
    assert out[0, 2] == pytest.approx(0.5 * 1 + 0.5 * 1.0, abs=1e-6)
    assert out[0, 0] < out[0, 1] < out[0, 2]


def test_re_ranking_memory_guard():
    d = np.zeros((2, 3))
    with pytest.raises(MemoryError, match=r'\(5, 5\)'):
        re_ranking(d, np.zeros((2, 2)), np.zeros((3, 3)), max_memory_elems=24)
    assert re_ranking(d + 1, np.zeros((2, 2)), np.zeros((3, 3)), k1=2, k2=1,
                      max_memory_elems=25).shape == (2, 3)
