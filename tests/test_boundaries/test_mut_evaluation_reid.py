# Copyright (c) mmped contributors. All rights reserved.
"""Re-ID evaluation rules the mutation check found unpinned, each on a hand-worked case.

The rules are those of :mod:`mmped.evaluation.functional.reid`: the Market-1501 official
code (junk and same-camera removal, ties broken by gallery order as MATLAB's stable ``sort``),
torchreid's ``eval_cuhk03`` single-gallery-shot CMC, and Zhong et al.'s re-ranking (CVPR 2017).
"""
import numpy as np
import pytest

from mmped.evaluation.functional import (
    compute_distance,
    eval_reid,
    eval_reid_full,
    re_ranking,
)
from test_boundaries.test_reid_reranking import _reference


def test_compute_distance_values_of_each_metric():
    """Euclidean, squared Euclidean and cosine (``1 - cos`` of L2-normalised rows, zero rows
    at distance 1) on float32 features; the result is float32."""
    q = np.array([[0.3, 0.4], [0.0, 0.0]])
    g = np.array([[0.0, 0.4], [3.0, 0.0], [0.1, 0.0]])
    euc = compute_distance(q, g)
    np.testing.assert_allclose(euc, [[0.3, np.hypot(2.7, .4), np.hypot(.2, .4)],
                                     [0.4, 3.0, 0.1]], rtol=1e-6)
    sq = compute_distance(q, g, 'sqeuclidean')
    np.testing.assert_allclose(sq, euc.astype(np.float64)**2, rtol=1e-5)
    cos = compute_distance(q, g, 'cosine')
    np.testing.assert_allclose(cos, [[1 - .8, 1 - .6, 1 - .6], [1, 1, 1]], rtol=1e-6)
    assert euc.dtype == sq.dtype == cos.dtype == np.float32
    # features are cast to float32 first: 2^24 + 1 and 2^24 are the same float32
    assert compute_distance([[16777217.0]], [[16777216.0]])[0, 0] == 0.0
    assert compute_distance([[16777216.0]], [[16777217.0]])[0, 0] == 0.0
    # each row is normalised by its own norm
    cos = compute_distance([[3.0, 4.0], [0.0, 2.0]], [[0.0, 1.0]], 'cosine')
    np.testing.assert_allclose(cos, [[1 - .8], [0.0]], atol=1e-7)


def test_compute_distance_input_checks():
    """Both inputs must be (N, D) with the same D; the metric name is checked."""
    for q, g in ((np.zeros(3), np.zeros((2, 3))), (np.zeros((2, 3)), np.zeros(3)),
                 (np.zeros((2, 3)), np.zeros((2, 4)))):
        with pytest.raises(ValueError, match=r'features must be \(Q, D\) and \(G, D\), got'):
            compute_distance(q, g)
    with pytest.raises(ValueError, match="metric must be 'euclidean', 'sqeuclidean' or "
                       "'cosine', got 'l1'"):
        compute_distance(np.zeros((1, 2)), np.zeros((1, 2)), 'l1')


def _naive_first_ranks(dist, q_pids, g_pids, q_cams, g_cams):
    """0-based rank of the first true match per query (stable sort, same-camera and junk
    removal), -1 when none."""
    out = []
    for i in range(len(q_pids)):
        order = np.argsort(dist[i], kind='stable')
        keep = [j for j in order if g_pids[j] != -1
                and not (g_pids[j] == q_pids[i] and g_cams[j] == q_cams[i])]
        hits = [k for k, j in enumerate(keep) if g_pids[j] == q_pids[i]]
        out.append(hits[0] if hits else -1)
    return np.array(out)


def test_ties_everywhere_on_long_rows_follow_gallery_order():
    """On rows long enough for an unstable sort (60 items, 3 distinct distances) every tie
    between a true match and another item is broken by gallery order."""
    rng = np.random.default_rng(0)
    dist = rng.integers(0, 3, (40, 60)).astype(np.float32)
    q_pids = rng.integers(0, 4, 40)
    g_pids = rng.integers(0, 4, 60)
    q_cams, g_cams = rng.integers(0, 2, 40), rng.integers(0, 2, 60)
    res = eval_reid_full(dist, q_pids, g_pids, q_cams, g_cams, max_rank=60)
    expected = _naive_first_ranks(dist, q_pids, g_pids, q_cams, g_cams)
    np.testing.assert_array_equal(res['first_rank'], expected)


def test_a_tie_with_one_neighbour_only():
    """A true match tied with only its left or only its right neighbour in the sorted row (at
    the row's ends too) is re-sorted stably: 300 rows of 40 distinct distances but one tied
    pair, in shuffled gallery order, against the plain stable loop."""
    rng = np.random.default_rng(1)
    num_rows, num_g = 300, 40
    dist = np.zeros((num_rows, num_g), np.float32)
    q_pids = np.zeros(num_rows, np.int64)
    ends = [0, 1, 2, num_g - 3, num_g - 2, num_g - 1]
    for r in range(num_rows):
        p = ends[r % 6] if r < 120 else int(rng.integers(0, num_g))
        side = -1 if (r // 6) % 2 else 1
        q = p + side if 0 <= p + side < num_g else p - side
        values = np.arange(num_g, dtype=np.float32)
        values[q] = values[p]
        perm = rng.permutation(num_g)
        dist[r, perm] = values
        q_pids[r] = perm[p]
    g_pids = np.arange(num_g)
    res = eval_reid_full(dist, q_pids, g_pids, np.zeros(num_rows), np.ones(num_g),
                         max_rank=num_g)
    expected = _naive_first_ranks(dist, q_pids, g_pids, np.zeros(num_rows), np.ones(num_g))
    np.testing.assert_array_equal(res['first_rank'], expected)


def test_eval_reid_full_input_checks():
    """Each of the five inputs is checked against the distance matrix; an empty gallery after
    junk removal and a query set without any true match are refused."""
    d = np.zeros((2, 3))
    good = dict(q_pids=[1, 2], g_pids=[1, 2, 3], q_camids=[0, 0], g_camids=[1, 1, 1])
    for key, bad in (('q_pids', [1]), ('q_camids', [0]), ('g_pids', [1, 2]),
                     ('g_camids', [1, 1])):
        with pytest.raises(ValueError, match='does not match q_pids'):
            eval_reid_full(d, **{**good, key: bad})
    with pytest.raises(ValueError, match='does not match q_pids'):
        eval_reid_full(np.zeros(3), **good)
    with pytest.raises(ValueError, match=r'empty query \(2\) or gallery \(0\) after junk'):
        eval_reid_full(d, [1, 2], [-1, -1, -1], [0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match=r'no query has a true match in the gallery \(after '
                       r'junk and same-camera removal\); CMC and mAP are undefined'):
        eval_reid_full(d, [1, 2], [1, 2, 3], [1, 1], [1, 1, 1])


def test_details_per_query_and_blocks_of_one_row():
    """``ap``, ``inp``, ``first_rank`` (-1 for a query without a match) per query; queries
    without a match, or whose matches are all in their own camera, are skipped in every
    block, including blocks of one row."""
    # gallery: 0 pid1 cam1, 1 pid2 cam0, 2 pid1 cam0, 3 pid5 cam0
    d = np.array([[.1, .2, .3, .4],   # pid1 cam0: g0 (rank 0); g2 same camera, removed
                  [.1, .2, .3, .4],   # pid9: no match
                  [.4, .1, .3, .2],   # pid2 cam0: only match g1 is in its camera
                  [.4, .3, .2, .1]])  # pid1 cam2: g3, g2 (rank 1), g1, g0 (rank 3)
    args = ([1, 9, 2, 1], [1, 2, 1, 5], [0, 0, 0, 2], [1, 0, 0, 0])
    for block in (1, 4):
        res = eval_reid_full(d, *args, max_rank=4, block_rows=block)
        np.testing.assert_array_equal(res['first_rank'], [0, -1, -1, 1])
        np.testing.assert_allclose(res['ap'], [1.0, 0, 0, (1 / 2 + 2 / 4) / 2])
        np.testing.assert_allclose(res['inp'], [1.0, 0, 0, 2 / 4])
        np.testing.assert_array_equal(res['valid'], [True, False, False, True])
        np.testing.assert_allclose(res['cmc'], [.5, 1, 1, 1])
        assert res['mAP'] == pytest.approx((1 + .5) / 2)
    cmc, mAP = eval_reid(d, *args)
    assert cmc.shape == (50, ) and mAP == pytest.approx(.75)
    assert eval_reid_full(d, *args)['cmc'].shape == (50, )
    # keyword arguments reach eval_reid_full: junk_pids=(1,) drops the matches of pid 1
    with pytest.raises(ValueError, match='no query has a true match'):
        eval_reid(d, *args, junk_pids=(1, 2))


def test_many_identities_keep_their_ids():
    """More gallery identities than 16-bit indices tell apart (70,000): the query's id 69,000
    is not confused with id 3,464 (= 69,000 - 2^16)."""
    g_pids = np.arange(70000)
    d = np.ones((1, 70000), np.float32)
    d[0, 69000] = 0.5
    d[0, 69000 - 65536] = 0.1
    res = eval_reid_full(d, [69000], g_pids, [0], np.ones(70000), max_rank=5)
    assert res['first_rank'][0] == 1


def _classic_case():
    """1 query (pid 2, camera 1); gallery: pid 2 in camera 1 (closest, removed), pid 1,
    pid 2 in camera 2, pid 3, in that order of distance."""
    d = np.array([[.1, .05, .2, .3]])
    return d, [2], [1, 2, 2, 3], [1], [2, 1, 2, 2]


def test_classic_single_shot_removes_the_same_camera_item_and_keeps_one_per_identity():
    """Every draw keeps pid 1, the camera-2 pid 2 and pid 3 (one item each): the true match
    is always at rank 1 (0-based), never the removed camera-1 item at rank 0."""
    d, qp, gp, qc, gc = _classic_case()
    res = eval_reid_full(d, qp, gp, qc, gc, max_rank=3, protocol='cuhk03_classic',
                         num_repeats=50)
    np.testing.assert_array_equal(res['cmc'], [0, 1, 1])


def test_classic_blocks_two_queries_and_the_default_draws():
    """Blocks of one row give the same CMC (averaged over draws and queries); the defaults
    are 10 draws seeded with 0."""
    d = np.array([[.1, .2, .3, .4], [.4, .3, .2, .1]])
    args = ([1, 2], [1, 2, 1, 2], [0, 0], [1, 1, 2, 2])
    one = eval_reid_full(d, *args, max_rank=4, protocol='cuhk03_classic', block_rows=1)
    both = eval_reid_full(d, *args, max_rank=4, protocol='cuhk03_classic')
    np.testing.assert_allclose(one['cmc'], both['cmc'])
    # one item of each of the 2 identities is kept per draw: every true match is in the top 2
    np.testing.assert_array_equal(both['cmc'][1:], [1, 1, 1])
    # 3 identities in 2 cameras, random distances: the CMC depends on the draws
    d = np.random.default_rng(2).random((3, 6))
    args = ([1, 2, 3], [1, 2, 3, 1, 2, 3], [0, 0, 0], [1, 1, 1, 2, 2, 2])

    def rank1(**kw):
        return eval_reid_full(d, *args, max_rank=3, protocol='cuhk03_classic', **kw)['cmc'][0]

    assert rank1() == rank1(num_repeats=10, seed=0) == pytest.approx(20 / 30)
    assert rank1(num_repeats=11) != rank1() and rank1(seed=1) != rank1()


def test_re_ranking_defaults_and_small_inputs():
    """Defaults k1=20, k2=6, lambda=0.3; ``k1`` is clamped to n - 1 (so a k1 beyond the
    input size gives the clamped result); distances below 1 are normalised per column."""
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(3, 4)) * 2
    g = np.repeat(centres, 8, 0) + rng.normal(scale=0.6, size=(24, 4))
    q = centres + rng.normal(scale=0.8, size=(3, 4))
    qg, qq, gg = compute_distance(q, g), compute_distance(q, q), compute_distance(g, g)
    np.testing.assert_allclose(re_ranking(qg, qq, gg), _reference(qg, qq, gg, 20, 6, 0.3),
                               rtol=1e-4, atol=1e-5)
    small, sq, sg = qg[:2, :5] / 100, qq[:2, :2] / 100, gg[:5, :5] / 100
    np.testing.assert_allclose(re_ranking(small, sq, sg, k1=20, k2=2),
                               re_ranking(small, sq, sg, k1=6, k2=2), rtol=1e-6)
    np.testing.assert_allclose(re_ranking(small, sq, sg, k1=20, k2=2),
                               _reference(small, sq, sg, 6, 2, 0.3), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize('seed', range(6))
def test_re_ranking_expansion_equals_the_reference(seed):
    """Query expansion with ``R(q, round(k1 / 2))`` when more than 2/3 of it is shared, on
    clusters where some candidate sets share exactly 2/3 (not expanded) and some more."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(2, 3)) * 1.5
    g = np.repeat(centres, 6, 0) + rng.normal(scale=0.7, size=(12, 3))
    q = centres + rng.normal(scale=0.7, size=(2, 3))
    qg, qq, gg = compute_distance(q, g), compute_distance(q, q), compute_distance(g, g)
    for k1 in (5, 6, 7):
        np.testing.assert_allclose(re_ranking(qg, qq, gg, k1=k1, k2=3, lambda_value=0.2),
                                   _reference(qg, qq, gg, k1, 3, 0.2), rtol=1e-4, atol=1e-5)
