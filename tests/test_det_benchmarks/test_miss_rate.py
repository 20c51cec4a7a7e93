# Copyright (c) mmped contributors. All rights reserved.
"""Hand-worked examples for every matching rule of the log-average miss rate."""
import math

import numpy as np
import pytest

from mmped.datasets.parsers import make_instance
from mmped.evaluation.functional import (
    MRProtocol,
    MRSetup,
    evaluate_miss_rate,
    get_mr_protocol,
    log_average_miss_rate,
)

INF = math.inf


def rec(img_id, boxes=(), ignore=None, heights=None, vis=None, occ=None, condition=None):
    """Image record with xywh boxes."""
    n = len(boxes)
    ignore = ignore or [0] * n
    insts = [
        make_instance(b, ignore[i], 'x', height=None if heights is None else heights[i],
                      vis_ratio=INF if vis is None else vis[i],
                      occlusion=-1 if occ is None else occ[i]) for i, b in enumerate(boxes)
    ]
    out = dict(img_id=img_id, instances=insts)
    if condition:
        out['condition'] = condition
    return out


def dets(*rows):
    """rows of (x, y, w, h, score) -> (boxes, scores)."""
    a = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    return a[:, :4], a[:, 4]


def proto(**setup_kw):
    setup = dict(name='s', height_range=(0, INF), det_height_expand=None)
    setup.update(setup_kw)
    return MRProtocol('test', (MRSetup(**setup), ), max_dets=None)


def run(gts, dts, p=None, **kw):
    return evaluate_miss_rate(gts, dts, p or proto(**kw))['s']


def test_hand_worked_curve_and_images_without_gt():
    # 10 images, 4 positives in image 0; dets: TP .9, FP .8, TP .7, FP .6, FP .5, TP .4
    gts = [rec(0, [[0, 0, 10, 20], [100, 0, 10, 20], [200, 0, 10, 20], [300, 0, 10, 20]])]
    gts += [rec(i) for i in range(1, 10)]  # empty images still count in FPPI
    dts = {
        0: dets([0, 0, 10, 20, .9], [200, 0, 10, 20, .7], [100, 0, 10, 20, .4]),
        3: dets([50, 50, 10, 20, .8], [50, 50, 10, 20, .6]),
        7: dets([0, 0, 10, 20, .5]),
    }
    r = run(gts, dts)
    np.testing.assert_allclose(r.fppi, [0, .1, .1, .2, .3, .3])
    np.testing.assert_allclose(1 - r.miss_rate, [.25, .25, .5, .5, .5, .75])
    # refs 0.01..0.0562 -> recall .25; 0.1, 0.178 -> .5; 0.316..1 -> .75
    expected = math.exp((4 * math.log(.75) + 2 * math.log(.5) + 3 * math.log(.25)) / 9)
    assert r.mr2 == pytest.approx(expected, rel=1e-12)
    assert r.recall == pytest.approx(.75)
    assert r.num_images == 10 and r.num_gt == 4


def test_perfect_recall_and_no_detections():
    gts = [rec(0, [[0, 0, 10, 20]]), rec(1)]
    perfect = run(gts, {0: dets([0, 0, 10, 20, 1.0])})
    assert perfect.mr2 == 0.0 and perfect.mr4 == 0.0 and perfect.recall == 1.0
    none = run(gts, {})
    assert none.mr2 == 1.0 and none.recall == 0.0
    assert math.isnan(run([rec(0)], {0: dets([0, 0, 5, 5, .5])}).mr2)  # no positives


def test_missing_fppi_points_give_zero_recall_and_floor():
    # first detection is a FP on 10 images: FPPI 0.1 > refs 0.01..0.0562 -> recall 0 there
    gts = [rec(0, [[0, 0, 10, 20]])] + [rec(i) for i in range(1, 10)]
    dts = {0: dets([50, 50, 10, 20, .9], [0, 0, 10, 20, .8])}
    assert run(gts, dts).mr2 == 0.0  # 5 points with miss 0 -> log(0): no clamp, as references
    floored = evaluate_miss_rate(gts, dts, MRProtocol('t', proto().setups, max_dets=None,
                                                      mr_floor=1e-10))['s']
    assert floored.mr2 == pytest.approx(math.exp(5 * math.log(1e-10) / 9))
    # helper directly: no fppi <= ref -> recall 0
    assert log_average_miss_rate(np.array([.5]), np.array([1.0]), np.array([.1, 1.0])) == 0.0
    assert log_average_miss_rate(np.array([.5]), np.array([.5]),
                                 np.array([.1, 1.0])) == pytest.approx(math.sqrt(.5))


def test_ignore_region_ioa_and_multiple_absorption():
    region = [0, 0, 100, 100]
    gts = [rec(0, [region, [300, 0, 20, 50]], ignore=[1, 0])]
    dts = {
        0: dets([10, 10, 20, 40, .9], [50, 50, 20, 40, .8], [30, 0, 10, 10, .7],  # IoA 1
                [90, 0, 20, 40, .6],  # IoA exactly 0.5 -> absorbed
                [300, 0, 20, 50, .5])
    }
    r = run(gts, dts)
    np.testing.assert_allclose(r.fppi, [0.0])  # only the TP is counted
    assert r.mr2 == 0.0
    dts[0] = dets([91, 0, 20, 40, .6], [300, 0, 20, 50, .5])  # IoA 0.45 -> false positive
    r = run(gts, dts)
    np.testing.assert_allclose(r.fppi, [1.0, 1.0])
    # the same region as a non-ignored GT: IoU (not IoA) -> small boxes are false positives
    r = run([rec(0, [region])], {0: dets([10, 10, 20, 40, .9])})
    assert r.recall == 0 and r.fppi[-1] == 1


def test_greedy_ties_pick_the_later_gt_and_non_ignored_first():
    # det1 has equal IoU 0.818 with A and B: it takes B (the later), so det2 (IoU .538 with
    # B only... .333 with A) finds nothing left -> FP
    gts = [rec(0, [[0, 0, 10, 20], [2, 0, 10, 20]])]
    r = run(gts, {0: dets([1, 0, 10, 20, .9], [5, 0, 10, 20, .8])})
    np.testing.assert_allclose(1 - r.miss_rate, [.5, .5])
    np.testing.assert_allclose(r.fppi, [0, 1])
    # an ignored GT listed first never steals a detection from a pedestrian
    gts = [rec(0, [[0, 0, 10, 20], [0, 0, 10, 20]], ignore=[1, 0])]
    r = run(gts, {0: dets([0, 0, 10, 20, .9])})
    assert r.recall == 1.0 and r.num_gt == 1
    # a matched GT is not matched twice: the duplicate falls to the ignored GT (absorbed)
    r = run(gts, {0: dets([0, 0, 10, 20, .9], [0, 0, 10, 20, .8])})
    np.testing.assert_allclose(r.fppi, [0])


def test_height_prefilter_and_setup_ignore():
    gts = [rec(0, [[0, 0, 20, 60], [100, 0, 10, 30]])]  # heights 60 (positive) and 30
    kw = dict(height_range=(50, 75), det_height_expand=1.25)
    # dets: 39.9 high (dropped), 40 (kept, FP), 93.7 (kept, FP), 93.75 (dropped)
    d = {0: dets([0, 0, 20, 60, .95], [300, 0, 10, 39.9, .9], [400, 0, 10, 40, .8],
                 [500, 0, 30, 93.7, .7], [600, 0, 30, 93.75, .6],
                 [100, 0, 10, 30, .5])}  # on the too-small GT: absorbed (ignored by setup)
    r = run(gts, d, **kw)
    assert r.num_gt == 1
    np.testing.assert_allclose(r.fppi, [0, 1, 2])
    # inclusive upper bound [50, 75] vs right-open [50, 75)
    g = [rec(0, [[0, 0, 20, 75]])]
    assert run(g, {}, height_range=(50, 75)).num_gt == 1
    assert run(g, {}, height_range=(50, 75), height_right_open=True).num_gt == 0


def test_visibility_occlusion_boundary_and_condition():
    boxes = [[10, 10, 20, 60], [100, 10, 20, 60], [3, 10, 20, 60], [200, 10, 20, 60]]
    g = [rec(0, boxes, vis=[1.0, .5, 1.0, INF], occ=[0, 2, 0, 1])]
    assert run(g, {}, vis_range=(.65, INF)).num_gt == 3
    assert run(g, {}, vis_range=(.65, 1.0)).num_gt == 2  # inf = no occlusion box
    assert run(g, {}, occlusions=(0, 1)).num_gt == 3
    bnd = run(g, {0: dets([3, 10, 20, 60, .9])}, boundary=(5, 5, 635, 507))
    assert bnd.num_gt == 3 and len(bnd.fppi) == 0  # boundary GT ignored, det absorbed
    gd = [rec(0, [[10, 10, 20, 60]], condition='day'), rec(1, [[10, 10, 20, 60]],
                                                          condition='night')]
    r = run(gd, {0: dets([10, 10, 20, 60, .9]), 1: dets([500, 10, 20, 60, .9])},
            condition='day')
    assert r.num_images == 1 and r.mr2 == 0.0


def test_aspect_ratio_standardisation():
    gts = [rec(0, [[100, 100, 30, 100]])]  # w/h .3 -> width 41 around centre 115
    wide = {0: dets([60, 100, 100, 100, .9])}  # centre 110
    kw = dict(aspect_ratio=0.41)
    assert run(gts, wide, **kw).recall == 1.0  # both standardised: IoU 3600/4600
    assert run(gts, wide, resize_dets=False, **kw).recall == 0.0  # IoU 0.41
    # ignored GT keep their shape
    gts_ign = [rec(0, [[100, 100, 30, 100]], ignore=[1])]
    r = run(gts_ign, {0: dets([100, 100, 30, 100, .9])}, **kw)
    assert len(r.fppi) == 0


def test_max_dets_and_drop_images_without_dets():
    gts = [rec(0, [[0, 0, 10, 20]]), rec(1, [[0, 0, 10, 20]])]
    d = {0: dets([50, 0, 10, 20, .9], [0, 0, 10, 20, .8])}
    p = MRProtocol('t', proto().setups, max_dets=1)
    r = evaluate_miss_rate(gts, d, p)['s']
    assert r.recall == 0.0 and len(r.fppi) == 1
    p = MRProtocol('t', proto().setups, max_dets=None, drop_images_without_dets=True)
    r = evaluate_miss_rate(gts, d, p)['s']
    assert r.num_gt == 1 and r.recall == 1.0 and r.num_images == 2  # MLPD quirk


def test_presets():
    cp = get_mr_protocol('citypersons')
    assert [s.name for s in cp.setups] == ['Reasonable', 'Reasonable_small', 'Heavy', 'All']
    cal = get_mr_protocol('caltech', setups=['Reasonable', 'Far'], resize_dets=False)
    assert [s.resize_dets for s in cal.setups] == [False, False]
    kaist = get_mr_protocol('kaist')
    assert kaist.setups[0].det_height_expand is None and kaist.recall_key == 'recall-all'
    with pytest.raises(KeyError):
        get_mr_protocol('nope')
    with pytest.raises(KeyError):
        get_mr_protocol('citypersons', setups=['Reasonable-all'])
