# Copyright (c) mmped contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmped.evaluation import ReIDMetric
from mmped.evaluation.functional import compute_distance, eval_reid, eval_reid_full, re_ranking


def _naive(distmat, q_pids, g_pids, q_cams, g_cams, max_rank):
    """Per-query loop of the official Market-1501 protocol (stable sort)."""
    keep_g = g_pids != -1
    distmat, g_pids, g_cams = distmat[:, keep_g], g_pids[keep_g], g_cams[keep_g]
    cmcs, aps = [], []
    for i in range(len(q_pids)):
        order = np.argsort(distmat[i], kind='stable')
        junk = (g_pids[order] == q_pids[i]) & (g_cams[order] == q_cams[i])
        match = (g_pids[order] == q_pids[i])[~junk]
        if not match.any():
            continue
        hits = np.flatnonzero(match)
        cmc = np.zeros(max_rank)
        cmc[min(hits[0], max_rank):] = 1
        cmcs.append(cmc)
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1)))
    return np.mean(cmcs, 0), np.mean(aps)


def test_market_protocol_hand_worked():
    # g0 same pid same cam (removed), g1 junk, g2 distractor, g3 / g5 true matches
    dist = np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]])
    g_pids = np.array([1, -1, 0, 1, 2, 1])
    g_cams = np.array([0, 1, 1, 1, 1, 2])
    q_pids, q_cams = np.array([1, 7]), np.array([0, 0])  # query 1 has no true match
    res = eval_reid_full(dist, q_pids, g_pids, q_cams, g_cams, max_rank=5)
    np.testing.assert_array_equal(res['valid'], [True, False])
    # ranking after removal: g2(-) g3(+) g4(-) g5(+)
    np.testing.assert_allclose(res['cmc'], [0, 1, 1, 1, 1])
    assert res['mAP'] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert res['mINP'] == pytest.approx(2 / 4)
    cmc, mAP = eval_reid(dist, q_pids, g_pids, q_cams, g_cams, max_rank=5)
    assert mAP == pytest.approx(0.5) and cmc.shape == (5, )
    # without the camera filter g0 is a true match at rank 1
    res = eval_reid_full(dist, q_pids, g_pids, q_cams, g_cams, 5, protocol='no_cam_filter')
    assert res['cmc'][0] == 1.0


def test_all_positives_and_no_positive_at_all():
    dist = np.array([[0.3, 0.1, 0.2]])
    res = eval_reid_full(dist, np.array([4]), np.array([4, 4, 4]), np.array([0]),
                         np.array([1, 2, 3]), max_rank=3)
    np.testing.assert_allclose(res['cmc'], [1, 1, 1])
    assert res['mAP'] == 1.0 and res['mINP'] == 1.0
    with pytest.raises(ValueError, match='no query has a true match'):
        eval_reid(dist, np.array([5]), np.array([4, 4, 4]), np.array([0]), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match='protocol'):
        eval_reid(dist, np.array([4]), np.array([4, 4, 4]), np.array([0]), np.array([1, 2, 3]),
                  protocol='market')


def test_ties_break_by_gallery_order():
    dist = np.array([[0.5, 0.5]])
    kw = dict(q_camids=np.array([0]), g_camids=np.array([1, 1]), max_rank=2)
    res = eval_reid_full(dist, np.array([1]), np.array([2, 1]), **kw)
    assert res['first_rank'][0] == 1 and res['mAP'] == 0.5
    res = eval_reid_full(dist, np.array([1]), np.array([1, 2]), **kw)
    assert res['first_rank'][0] == 0 and res['mAP'] == 1.0


@pytest.mark.parametrize('integer', [False, True])
def test_vectorised_matches_naive_loop(integer):
    rng = np.random.default_rng(int(integer))
    q, g = 37, 90
    dist = (rng.integers(0, 6, (q, g)) if integer else rng.random((q, g))).astype(np.float32)
    q_pids, g_pids = rng.integers(1, 8, q), rng.integers(-1, 8, g)
    q_cams, g_cams = rng.integers(0, 3, q), rng.integers(0, 3, g)
    cmc, mAP = eval_reid(dist, q_pids, g_pids, q_cams, g_cams, max_rank=10, block_rows=8)
    ref_cmc, ref_map = _naive(dist, q_pids, g_pids, q_cams, g_cams, 10)
    np.testing.assert_allclose(cmc, ref_cmc)
    assert mAP == pytest.approx(ref_map)


def test_cuhk03_classic_single_gallery_shot():
    # query pid 1: true matches g0 (rank 1) and g2 (behind g1 of pid 2) -> the draw decides
    dist = np.array([[0.1, 0.2, 0.3, 0.4]])
    args = (np.array([1]), np.array([1, 2, 1, 3]), np.array([0]), np.array([1, 1, 1, 1]))
    res = eval_reid_full(dist, *args, max_rank=3, protocol='cuhk03_classic', num_repeats=400)
    assert 0.4 < res['cmc'][0] < 0.6
    assert res['cmc'][1] == 1.0
    again = eval_reid_full(dist, *args, max_rank=3, protocol='cuhk03_classic', num_repeats=400)
    np.testing.assert_array_equal(res['cmc'], again['cmc'])  # seeded
    # mAP on the full gallery, like torchreid
    assert res['mAP'] == pytest.approx((1 + 2 / 3) / 2)
    # one image per identity: no randomness, equal to the Market CMC
    one = eval_reid_full(dist[:, :2], args[0], args[1][:2], args[2], args[3][:2], 2,
                         protocol='cuhk03_classic')
    np.testing.assert_allclose(one['cmc'], [1, 1])


def test_compute_distance():
    q = np.array([[3.0, 4.0]])
    g = np.array([[0.0, 0.0], [6.0, 8.0]])
    np.testing.assert_allclose(compute_distance(q, g), [[5.0, 5.0]], atol=1e-5)
    np.testing.assert_allclose(compute_distance(q, g[1:], 'cosine'), [[0.0]], atol=1e-6)
    with pytest.raises(ValueError):
        compute_distance(q, g, 'manhattan')


def test_re_ranking_improves_a_cluster_case():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8)) * 3
    g_feat = np.repeat(centres, 4, 0) + rng.normal(scale=0.5, size=(20, 8))
    g_pids = np.repeat(np.arange(5), 4)
    q_feat = centres + rng.normal(scale=1.5, size=(5, 8))
    q_pids = np.arange(5)
    qg = compute_distance(q_feat, g_feat)
    new = re_ranking(qg, compute_distance(q_feat, q_feat), compute_distance(g_feat, g_feat),
                     k1=4, k2=2, lambda_value=0.3)
    assert new.shape == qg.shape and np.isfinite(new).all()
    cams = (np.zeros(5, int), np.ones(20, int))
    _, map0 = eval_reid(qg, q_pids, g_pids, *cams)
    _, map1 = eval_reid(new, q_pids, g_pids, *cams)
    assert map1 >= map0 - 1e-9


def test_reid_metric_query_gallery_split():
    feats = {('query', 1, 0): [0.0, 0.0], ('gallery', 1, 0): [0.0, 0.1],
             ('gallery', 2, 1): [0.0, 0.5], ('gallery', 1, 1): [0.0, 1.0]}
    samples = []
    for (split, pid, cam), f in feats.items():
        ds = DataSample(metainfo=dict(pid=pid, camid=cam, split=split))
        ds.set_field(torch.tensor(f), 'pred_feature')
        samples.append(ds.to_dict())
    metric = ReIDMetric(topk=(1, 2), max_rank=3)
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    # the same-camera gallery item is removed: pid 2 first, true match second
    assert res['reid/R1'] == 0.0 and res['reid/R2'] == 100.0
    assert res['reid/mAP'] == pytest.approx(50.0)
