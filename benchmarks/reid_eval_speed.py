# Copyright (c) mmped contributors. All rights reserved.
"""Speed of the vectorised re-ID evaluation against its floor, ``np.argsort`` of the matrix.

A Market-1501-size float32 distance matrix (3,368 queries x 15,913 gallery items) with the
real label vectors when ``../shared/data`` has them (else a synthetic set with Market's id /
camera statistics). Target: ``eval_reid`` (CMC up to rank 50 + mAP) <= 2.5x the argsort time.
A per-query Python loop on a subset is timed too, for scale.

Usage: ``OMP_NUM_THREADS=1 python benchmarks/reid_eval_speed.py [--repeats 3]``
"""
import argparse
import time
from pathlib import Path

import numpy as np

from mmped.evaluation.functional import eval_reid

REAL = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'market1501' / \
    'person-re-ranking'


def market_labels(rng: np.random.Generator):
    if (REAL / 'queryID.mat').exists():
        from mmped.datasets import read_market1501_label_vectors
        v = read_market1501_label_vectors(str(REAL))
        keep = v['g_pids'] != -1  # 15,913 after junk removal
        return v['q_pids'], v['q_camids'], v['g_pids'][keep], v['g_camids'][keep], 'real'
    g_pids = np.r_[rng.integers(1, 751, 13115), np.zeros(2798, int)]
    q_pids = rng.integers(1, 751, 3368)
    return q_pids, rng.integers(0, 6, 3368), g_pids, rng.integers(0, 6, 15913), 'synthetic'


def naive_loop(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=50):
    cmc, aps = np.zeros(max_rank), []
    for i in range(len(q_pids)):
        order = np.argsort(distmat[i])
        keep = ~((g_pids[order] == q_pids[i]) & (g_cams[order] == q_cams[i]))
        match = (g_pids[order] == q_pids[i])[keep]
        if not match.any():
            continue
        hits = np.flatnonzero(match)
        cmc[hits[0]:] += hits[0] < max_rank
        aps.append(np.mean(np.arange(1, len(hits) + 1) / (hits + 1)))
    return cmc, np.mean(aps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--naive-queries', type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    q_pids, q_cams, g_pids, g_cams, kind = market_labels(rng)
    dist = rng.random((len(q_pids), len(g_pids)), dtype=np.float32)
    dist[q_pids[:, None] == g_pids[None]] *= 0.001  # a model much better than chance

    t_sort, t_eval = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        np.argsort(dist, axis=1)
        t_sort.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cmc, mAP = eval_reid(dist, q_pids, g_pids, q_cams, g_cams, max_rank=50)
        t_eval.append(time.perf_counter() - t0)
    n = args.naive_queries
    t0 = time.perf_counter()
    ref_cmc, ref_map = naive_loop(dist[:n], q_pids[:n], g_pids, q_cams[:n], g_cams)
    t_naive = (time.perf_counter() - t0) * len(q_pids) / n
    sub_cmc, sub_map = eval_reid(dist[:n], q_pids[:n], g_pids, q_cams[:n], g_cams)
    assert np.allclose(sub_cmc * n, ref_cmc) and np.isclose(sub_map, ref_map), 'mismatch'
    sort, ev = min(t_sort), min(t_eval)
    print(f'labels: {kind}; distmat {dist.shape} float32; R1 {100 * cmc[0]:.2f} '
          f'mAP {100 * mAP:.2f}')
    print(f'np.argsort: {sort:.3f} s   eval_reid: {ev:.3f} s   ratio {ev / sort:.2f}x '
          f'(target <= 2.5x)')
    print(f'per-query numpy loop (extrapolated from {n} queries): {t_naive:.1f} s, '
          f'ratio {t_naive / sort:.1f}x')


if __name__ == '__main__':
    main()
