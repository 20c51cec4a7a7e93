# Copyright (c) mmped contributors. All rights reserved.
"""Cross-check the vectorised miss rate against a plain per-detection loop of the rules.

The loop below follows the reference engine step by step (per image: score sort, top-k,
height pre-filter, GT sorted non-ignored first, greedy scan with the ``>=`` running-best rule
and the break at the first ignored GT once matched); it is slow but obviously faithful.
"""
import math

import numpy as np
import pytest

from mmped.datasets.parsers import parse_citypersons
from mmped.evaluation.functional import evaluate_miss_rate, get_mr_protocol
from mmped.evaluation.functional.miss_rate import MR2_REFS
from mmped.testing import shared_file


def _overlap(d, g, crowd):
    iw = min(d[0] + d[2], g[0] + g[2]) - max(d[0], g[0])
    ih = min(d[1] + d[3], g[1] + g[3]) - max(d[1], g[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    t = iw * ih
    return t / (d[2] * d[3] if crowd else d[2] * d[3] + g[2] * g[3] - t)


REFS = np.round(MR2_REFS, 4)


def loop_mr(gt_images, dets, setup, max_dets=1000, refs=REFS):
    lo, hi = setup.height_range
    vlo, vhi = setup.vis_range
    scores, tps, npos = [], [], 0
    for rec in sorted(gt_images, key=lambda r: r['img_id']):
        gts = []
        for inst in rec['instances']:
            x1, y1, x2, y2 = inst['bbox']
            ign = bool(inst['ignore_flag']) or inst['height'] < lo or inst['height'] > hi \
                or inst['vis_ratio'] < vlo or inst['vis_ratio'] > vhi
            gts.append(([x1, y1, x2 - x1, y2 - y1], ign))
        gts = [g for g in gts if not g[1]] + [g for g in gts if g[1]]
        npos += sum(1 for g in gts if not g[1])
        b, s = dets.get(rec['img_id'], (np.zeros((0, 4)), np.zeros(0)))
        order = np.argsort(-s, kind='stable')[:max_dets]
        matched = [False] * len(gts)
        for j in order:
            d = b[j].tolist()
            if not (d[3] >= lo / 1.25 and d[3] < hi * 1.25):
                continue
            best, bg, bm = 0.5, -1, 0
            for k, (g, ign) in enumerate(gts):
                if matched[k]:
                    continue
                if bm != 0 and ign:
                    break
                o = _overlap(d, g, ign)
                if o < best:
                    continue
                best, bg, bm = o, k, (-1 if ign else 1)
            if bm == 1:
                matched[bg] = True
                scores.append(s[j])
                tps.append(True)
            elif bm == 0:
                scores.append(s[j])
                tps.append(False)
    order = np.argsort(-np.asarray(scores), kind='stable')
    tp = np.asarray(tps)[order]
    fppi = np.cumsum(~tp) / len(gt_images)
    recall = np.cumsum(tp) / npos
    idx = np.searchsorted(fppi, refs, side='right') - 1
    rec_at = np.where(idx >= 0, recall[np.maximum(idx, 0)], 0.0)
    with np.errstate(divide='ignore'):
        return math.exp(np.mean(np.log(1 - rec_at)))


@pytest.mark.realdata
def test_vectorised_equals_loop_on_jittered_citypersons():
    gt = parse_citypersons(shared_file('citypersons', 'val_gt.json'))[:60]
    rng = np.random.default_rng(3)
    dets = {}
    for rec in gt:
        boxes = [[i['bbox'][0], i['bbox'][1], i['bbox'][2] - i['bbox'][0],
                  i['bbox'][3] - i['bbox'][1]] for i in rec['instances']]
        b = np.asarray(boxes * 3 + [[0, 0, 1, 1]], dtype=np.float64)
        b[:, :2] += rng.normal(0, 3, (len(b), 2))
        b[:, 2:] *= np.exp(rng.normal(0, 0.1, (len(b), 2)))
        extra = np.stack([rng.uniform(0, 2000, 20), rng.uniform(0, 900, 20),
                          rng.uniform(10, 60, 20), rng.uniform(20, 150, 20)], 1)
        b = np.concatenate([b, extra])
        s = np.round(rng.uniform(0, 1, len(b)), 2)  # rounded: plenty of score ties
        dets[rec['img_id']] = (b, s)
    proto = get_mr_protocol('citypersons')
    res = evaluate_miss_rate(gt, dets, proto)
    for setup in proto.setups:
        assert res[setup.name].mr2 == pytest.approx(loop_mr(gt, dets, setup), abs=1e-12)
    mrs = [res[s.name].mr2 for s in proto.setups]
    assert all(0.01 < m < 0.99 for m in mrs), mrs  # non-trivial curves
