# Copyright (c) mmped contributors. All rights reserved.
"""Person re-identification evaluation: CMC, mAP and mINP under the standard protocols.

Pure numpy and vectorised: after one ``np.argsort`` of each block of query rows, only the
entries whose gallery pid equals the query pid are touched, so evaluating a Market-1501-size
distance matrix costs little more than sorting it (see ``benchmarks/reid_eval_speed.py``).

Protocols:

- ``'market1501'`` (Zheng et al. ICCV'15 official code, also CUHK03-NP, DukeMTMC, VIPeR): gallery
  items whose pid is in ``junk_pids`` (Market's ``-1``) are dropped; for each query the gallery
  items with the same pid AND the same camera are removed; distractors (pid 0) stay as negatives.
  ``CMC(k)`` = fraction of valid queries whose first true match is within the top k; ``AP =
  sum_k P@k * rel_k / #rel``; queries with no true match left are skipped.
- ``'cuhk03_classic'``: the same removal, then single-gallery-shot CMC: for every query, one
  random gallery item is kept per identity (``num_repeats`` seeded draws, CMC averaged over
  draws). mAP and mINP are computed on the full gallery (as in torchreid's ``eval_cuhk03``).
- ``'no_cam_filter'``: only junk removal, same-camera matches count (single-camera datasets).

Ties in the distances are broken by gallery order (a stable sort, like MATLAB's ``sort`` in the
official Market-1501 code). Only rows where a true match ties with another item are re-sorted
with a stable sort; elsewhere the faster introsort gives the same ranks.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

__all__ = ['eval_reid', 'eval_reid_full', 'compute_distance', 're_ranking']

_PROTOCOLS = ('market1501', 'cuhk03_classic', 'no_cam_filter')


def compute_distance(query: np.ndarray, gallery: np.ndarray,
                     metric: str = 'euclidean') -> np.ndarray:
    """Pairwise distances between query and gallery features.

    Args:
        query (np.ndarray): Query features, shape (Q, D).
        gallery (np.ndarray): Gallery features, shape (G, D).
        metric (str): ``'euclidean'`` (L2 distance), ``'sqeuclidean'`` or ``'cosine'`` (``1 -
            cos``; features are L2-normalised here).

    Returns:
        np.ndarray: Distances, shape (Q, G), float32.
    """
    query = np.asarray(query, dtype=np.float32)
    gallery = np.asarray(gallery, dtype=np.float32)
    if query.ndim != 2 or gallery.ndim != 2 or query.shape[1] != gallery.shape[1]:
        raise ValueError(f'features must be (Q, D) and (G, D), got {query.shape} and '
                         f'{gallery.shape}')
    if metric == 'cosine':
        qn = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
        gn = gallery / np.maximum(np.linalg.norm(gallery, axis=1, keepdims=True), 1e-12)
        return (1.0 - qn @ gn.T).astype(np.float32)
    if metric in ('euclidean', 'sqeuclidean'):
        sq = ((query**2).sum(1)[:, None] + (gallery**2).sum(1)[None, :] - 2.0 * query @ gallery.T)
        sq = np.maximum(sq, 0.0)
        return (sq if metric == 'sqeuclidean' else np.sqrt(sq)).astype(np.float32)
    raise ValueError(f"metric must be 'euclidean', 'sqeuclidean' or 'cosine', got {metric!r}")


def _group_starts(rows: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """For row-major sorted ``rows``: index of the first entry of each run and run id."""
    is_start = np.ones(len(rows), dtype=bool)
    is_start[1:] = rows[1:] != rows[:-1]
    starts = np.flatnonzero(is_start)
    return starts, np.cumsum(is_start) - 1


def _within_row_count_before(flag: np.ndarray, starts: np.ndarray,
                             group: np.ndarray) -> np.ndarray:
    """Number of earlier entries of the same row with ``flag`` set (entries row-major)."""
    csum = np.cumsum(flag) - flag
    return csum - csum[starts][group]


def _sorted_matches(dist: np.ndarray, q_pids: np.ndarray,
                    g_pids: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Argsort a block of rows (ties by gallery index) and locate same-pid entries.

    Returns:
        tuple: ``order`` (B, G) and the row-major ``rows``, ``cols`` of every entry of the
        sorted rows whose gallery pid equals the query pid.
    """
    order = np.argsort(dist, axis=1)
    rows, cols = np.nonzero(g_pids[order] == q_pids[:, None])
    if len(rows):
        # a tie between a match and another item can reorder ranks: re-sort such rows stably
        d = dist[rows, order[rows, cols]]
        tied = np.zeros(len(rows), dtype=bool)
        left = cols > 0
        tied[left] = dist[rows[left], order[rows[left], cols[left] - 1]] == d[left]
        right = cols < dist.shape[1] - 1
        tied[right] |= dist[rows[right], order[rows[right], cols[right] + 1]] == d[right]
        if tied.any():
            tie_rows = np.unique(rows[tied])
            order[tie_rows] = np.argsort(dist[tie_rows], axis=1, kind='stable')
            rows, cols = np.nonzero(g_pids[order] == q_pids[:, None])
    return order, rows, cols


def _classic_single_shot_cmc(order: np.ndarray, q_pids: np.ndarray, q_camids: np.ndarray,
                             g_pids: np.ndarray, g_camids: np.ndarray, num_repeats: int,
                             rng: np.random.Generator) -> np.ndarray:
    """Single-gallery-shot first-match ranks, shape (num_repeats, Q), -1 = no match."""
    num_q, num_g = order.shape
    sp = g_pids[order]
    keep = ~((sp == q_pids[:, None]) & (g_camids[order] == q_camids[:, None]))
    _, pid_idx = np.unique(g_pids, return_inverse=True)
    sorted_pid_idx = pid_idx[order]
    # every row holds the same identities: group ends in (identity, key) order are shared
    ends = np.cumsum(np.bincount(pid_idx)) - 1
    ranks = np.full((num_repeats, num_q), -1, dtype=np.int64)
    for r in range(num_repeats):
        # one random kept item per (query, identity): the largest random key of each group;
        # removed items get the smallest key and are dropped after the draw
        key = rng.random((num_q, num_g))
        key[~keep] = -1.0
        grp = np.argsort(sorted_pid_idx + (key + 1.0) / 2.5, axis=1)
        selected = np.zeros((num_q, num_g), dtype=bool)
        np.put_along_axis(selected, grp[:, ends], True, axis=1)
        selected &= keep
        match = selected & (sp == q_pids[:, None])
        pos_before = np.cumsum(selected, axis=1) - 1
        has = match.any(1)
        first_col = np.argmax(match, axis=1)
        ranks[r, has] = pos_before[has, first_col[has]]
    return ranks


def eval_reid_full(distmat: np.ndarray,
                   q_pids: np.ndarray,
                   g_pids: np.ndarray,
                   q_camids: np.ndarray,
                   g_camids: np.ndarray,
                   max_rank: int = 50,
                   protocol: str = 'market1501',
                   junk_pids: Sequence[int] = (-1, ),
                   num_repeats: int = 10,
                   seed: int = 0,
                   block_rows: int = 1024) -> Dict[str, np.ndarray]:
    """CMC, mAP and mINP with per-query details.

    Args:
        distmat (np.ndarray): Distances, shape (Q, G); smaller = more similar.
        q_pids (np.ndarray): Query pids, shape (Q,).
        g_pids (np.ndarray): Gallery pids, shape (G,).
        q_camids (np.ndarray): Query camera ids, shape (Q,).
        g_camids (np.ndarray): Gallery camera ids, shape (G,).
        max_rank (int): Length of the returned CMC curve. Defaults to 50.
        protocol (str): ``'market1501'``, ``'cuhk03_classic'`` or ``'no_cam_filter'`` (see
            the module docstring). Defaults to ``'market1501'``.
        junk_pids (Sequence[int]): Gallery pids dropped before ranking. Defaults to (-1,).
        num_repeats (int): Draws of the single-gallery-shot protocol. Defaults to 10.
        seed (int): Seed of those draws. Defaults to 0.
        block_rows (int): Query rows sorted at once (memory bound). Defaults to 1024.

    Returns:
        dict: ``cmc`` (max_rank,), ``mAP``, ``mINP`` (floats in [0, 1], means over valid
        queries), ``ap`` (Q,), ``inp`` (Q,), ``first_rank`` (Q,) (0-based rank of the first
        true match, -1 when none) and ``valid`` (Q,) bool (the query has a true match).

    Raises:
        ValueError: On inconsistent shapes, an unknown protocol or when no query has a true
            match in the gallery.
    """
    if protocol not in _PROTOCOLS:
        raise ValueError(f'protocol must be one of {_PROTOCOLS}, got {protocol!r}')
    distmat = np.asarray(distmat)
    q_pids, g_pids = np.asarray(q_pids).ravel(), np.asarray(g_pids).ravel()
    q_camids, g_camids = np.asarray(q_camids).ravel(), np.asarray(g_camids).ravel()
    num_q, num_g = distmat.shape if distmat.ndim == 2 else (-1, -1)
    if (distmat.ndim != 2 or len(q_pids) != num_q or len(q_camids) != num_q
            or len(g_pids) != num_g or len(g_camids) != num_g):
        raise ValueError(f'distmat {distmat.shape} does not match q_pids {q_pids.shape}, '
                         f'q_camids {q_camids.shape}, g_pids {g_pids.shape}, g_camids '
                         f'{g_camids.shape}')
    if len(junk_pids):
        not_junk = ~np.isin(g_pids, np.asarray(junk_pids))
        if not not_junk.all():
            distmat = distmat[:, not_junk]
            g_pids, g_camids = g_pids[not_junk], g_camids[not_junk]
            num_g = len(g_pids)
    if num_q == 0 or num_g == 0:
        raise ValueError(f'empty query ({num_q}) or gallery ({num_g}) after junk removal')
    # small contiguous ids make the per-row gathers cheap
    uniq, g_idx = np.unique(g_pids, return_inverse=True)
    g_idx = g_idx.astype(np.int32 if len(uniq) > 32000 else np.int16)
    pos = np.searchsorted(uniq, q_pids)
    pos = np.minimum(pos, max(len(uniq) - 1, 0))
    q_idx = np.where((len(uniq) > 0) & (uniq[pos] == q_pids), pos, -1).astype(g_idx.dtype)
    remove_same_cam = protocol != 'no_cam_filter'

    ap = np.zeros(num_q)
    inp = np.zeros(num_q)
    first_rank = np.full(num_q, -1, dtype=np.int64)
    classic_ranks = []
    rng = np.random.default_rng(seed)
    for b0 in range(0, num_q, block_rows):
        b1 = min(b0 + block_rows, num_q)
        order, rows, cols = _sorted_matches(distmat[b0:b1], q_idx[b0:b1], g_idx)
        if protocol == 'cuhk03_classic':
            classic_ranks.append(
                _classic_single_shot_cmc(order, q_idx[b0:b1], q_camids[b0:b1], g_idx,
                                         g_camids, num_repeats, rng))
        if not len(rows):
            continue
        if remove_same_cam:
            removed = g_camids[order[rows, cols]] == q_camids[b0 + rows]
        else:
            removed = np.zeros(len(rows), dtype=bool)
        starts, group = _group_starts(rows)
        kept_pos = cols - _within_row_count_before(removed, starts, group)
        positive = ~removed
        rows, kept_pos = rows[positive], kept_pos[positive]
        if not len(rows):
            continue
        starts, group = _group_starts(rows)
        k = _within_row_count_before(np.ones(len(rows), dtype=np.int64), starts, group) + 1
        prec = k / (kept_pos + 1.0)
        q_rows = b0 + rows[starts]
        n_rel = np.diff(np.r_[starts, len(rows)])
        ap[q_rows] = np.add.reduceat(prec, starts) / n_rel
        first_rank[q_rows] = kept_pos[starts]
        last = np.r_[starts[1:], len(rows)] - 1
        inp[q_rows] = n_rel / (kept_pos[last] + 1.0)

    valid = first_rank >= 0
    num_valid = int(valid.sum())
    if num_valid == 0:
        raise ValueError('no query has a true match in the gallery (after junk and '
                         'same-camera removal); CMC and mAP are undefined')
    if protocol == 'cuhk03_classic':
        ranks = np.concatenate(classic_ranks, axis=1)[:, valid]
        cmc = np.zeros(max_rank)
        for r in ranks:
            cmc += np.cumsum(np.bincount(r[r >= 0], minlength=max_rank)[:max_rank])
        cmc /= num_repeats * num_valid
    else:
        hist = np.bincount(first_rank[valid], minlength=max_rank)[:max_rank]
        cmc = np.cumsum(hist) / num_valid
    return dict(cmc=cmc.astype(np.float64), mAP=float(ap[valid].mean()),
                mINP=float(inp[valid].mean()), ap=ap, inp=inp, first_rank=first_rank,
                valid=valid)


def eval_reid(distmat: np.ndarray,
              q_pids: np.ndarray,
              g_pids: np.ndarray,
              q_camids: np.ndarray,
              g_camids: np.ndarray,
              max_rank: int = 50,
              protocol: str = 'market1501',
              **kwargs) -> Tuple[np.ndarray, float]:
    """CMC curve and mAP of a query x gallery distance matrix.

    Args:
        distmat (np.ndarray): Distances, shape (Q, G).
        q_pids, g_pids (np.ndarray): Person ids, shapes (Q,) and (G,).
        q_camids, g_camids (np.ndarray): Camera ids, shapes (Q,) and (G,).
        max_rank (int): CMC length. Defaults to 50.
        protocol (str): See :func:`eval_reid_full`. Defaults to ``'market1501'``.
        **kwargs: ``junk_pids``, ``num_repeats``, ``seed``, ``block_rows``.

    Returns:
        tuple: ``cmc`` (max_rank,) with ``cmc[k-1]`` = rank-k accuracy, and ``mAP`` (float),
        both in [0, 1].
    """
    res = eval_reid_full(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=max_rank,
                         protocol=protocol, **kwargs)
    return res['cmc'], res['mAP']


def _k_reciprocal(initial_rank: np.ndarray, i: int, k: int) -> np.ndarray:
    forward = initial_rank[i, :k + 1]
    backward = initial_rank[forward, :k + 1]
    return forward[(backward == i).any(1)]


def re_ranking(q_g_dist: np.ndarray,
               q_q_dist: np.ndarray,
               g_g_dist: np.ndarray,
               k1: int = 20,
               k2: int = 6,
               lambda_value: float = 0.3,
               max_memory_elems: Optional[int] = None) -> np.ndarray:
    """k-reciprocal re-ranking (Zhong et al., CVPR 2017).

    Steps: squared distances normalised per column by their maximum; k-reciprocal neighbours
    ``R(p, k1)`` expanded with ``R(q, k1/2)`` of each member when they share more than 2/3 of
    their elements; Gaussian-kernel weights ``exp(-d)`` normalised to sum 1 (vectors ``V``);
    local query expansion over the ``k2`` nearest neighbours; Jaccard distance ``1 - sum
    min(V_p, V_g) / sum max(V_p, V_g)``; final distance ``(1 - lambda) * jaccard + lambda *
    original``.

    Args:
        q_g_dist (np.ndarray): Query-gallery distances, shape (Q, G).
        q_q_dist (np.ndarray): Query-query distances, shape (Q, Q).
        g_g_dist (np.ndarray): Gallery-gallery distances, shape (G, G).
        k1 (int): k of the k-reciprocal sets. Defaults to 20.
        k2 (int): Neighbours of the local query expansion. Defaults to 6.
        lambda_value (float): Weight of the original distance. Defaults to 0.3.
        max_memory_elems (int, optional): Refuse inputs whose (Q+G)^2 exceeds this.

    Returns:
        np.ndarray: Re-ranked distances, shape (Q, G), float32.
    """
    num_q, num_g = q_g_dist.shape
    n = num_q + num_g
    if max_memory_elems is not None and n * n > max_memory_elems:
        raise MemoryError(f're_ranking needs a ({n}, {n}) matrix, over max_memory_elems')
    original = np.block([[q_q_dist, q_g_dist], [q_g_dist.T, g_g_dist]]).astype(np.float32)
    original = original**2
    original = (original / np.maximum(original.max(axis=0, keepdims=True), 1e-12)).T
    k1 = min(k1, n - 1)
    initial_rank = np.argsort(original, axis=1, kind='stable')[:, :k1 + 1]
    half = int(np.around(k1 / 2.0))
    v = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        recip = _k_reciprocal(initial_rank, i, k1)
        expansion = [recip]
        for cand in recip:
            cand_recip = _k_reciprocal(initial_rank, cand, half)
            if len(np.intersect1d(cand_recip, recip)) > 2.0 / 3.0 * len(cand_recip):
                expansion.append(cand_recip)
        members = np.unique(np.concatenate(expansion))
        weight = np.exp(-original[i, members])
        v[i, members] = weight / weight.sum()
    if k2 > 1:
        v = v[initial_rank[:, :k2]].mean(axis=1)
    # Jaccard through an inverted index: only gallery rows sharing a non-zero column matter
    jaccard = np.ones((num_q, num_g), dtype=np.float32)
    v_gal = v[num_q:]
    for i in range(num_q):
        cols = np.flatnonzero(v[i])
        sub = v_gal[:, cols]
        min_sum = np.minimum(sub, v[i, cols][None, :]).sum(1)
        jaccard[i] = 1.0 - min_sum / (2.0 - min_sum)
    return ((1 - lambda_value) * jaccard + lambda_value * original[:num_q, num_q:]).astype(
        np.float32)
