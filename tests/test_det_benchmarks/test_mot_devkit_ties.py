# Copyright (c) mmped contributors. All rights reserved.
"""Tie order and padding of the MOTChallenge devkit's cleaning assignment, hand-worked.

``preprocessResult.m`` calls ``Hungarian.m`` (A. Melin's Munkres) on the (GT x detection)
matrix ``1 - IoU``, forbidden pairs ``Inf``, rows in gt.txt order and columns in result-file
order. Its rules (written out in :func:`mmped.evaluation.functional.mot_ap.devkit_hungarian`):
step 1 subtracts each row's minimum, step 2 stars row by row the first zero whose column has
no star, step 4 primes the first uncovered zero in row-major order; before that, the
condensed matrix is grown by its estimated deficiency with entries equal to the largest
finite cost ``Pmax``, so an unmatched row or column costs ``Pmax``. scipy's
``linear_sum_assignment`` with a large cost on forbidden pairs (mmped before) gives each case
below a different answer.
"""
import numpy as np
import pytest

from mmped.datasets.parsers.common import make_instance
from mmped.evaluation.functional import eval_mot17det_ap
from mmped.evaluation.functional.mot_ap import devkit_hungarian

A, B = 1 / 3, 0.2


def _inst(xywh, cls, vis=1.0):
    ped = cls == 1
    return make_instance(xywh, not ped, 'pedestrian' if ped else f'class{cls}',
                         vis_ratio=vis, mot_class=cls, mot_flag=int(ped))


def _pairs(match):
    return [tuple(int(v) for v in p) for p in np.argwhere(match)]


def test_equal_costs_go_to_the_first_zeros_in_row_major_order():
    """``[[a, a], [b, b]]``: every assignment costs ``a + b``. Step 1 makes all entries 0;
    step 2 stars (1, 1) and then (2, 2), a complete assignment: GT 1 - det 1, GT 2 - det 2
    (scipy: GT 1 - det 2, GT 2 - det 1). Transposed, the first zeros are the same cells."""
    assert _pairs(devkit_hungarian(np.array([[A, A], [B, B]]))) == [(0, 0), (1, 1)]
    assert _pairs(devkit_hungarian(np.array([[A, B], [A, B]]))) == [(0, 1), (1, 0)]


def test_padding_does_not_maximise_the_number_of_pairs():
    """``[[a, a], [a, Inf]]``: one pass of steps 2-4 on the 0 / Inf pattern covers one line
    of two, so one row and one column of ``Pmax = a`` are added; on the 3 x 3 matrix every
    complete assignment costs ``3a`` and step 2's first zeros (1, 1), (2, 3), (3, 2) win:
    only GT 1 - det 1 is a real pair (scipy: GT 1 - det 2 and GT 2 - det 1)."""
    assert _pairs(devkit_hungarian(np.array([[A, A], [A, np.inf]]))) == [(0, 0)]
    # a perfect pair of cost 0 beats two pairs: 0 + 2 Pmax < Pmax + Pmax + Pmax
    assert _pairs(devkit_hungarian(np.array([[0.0, A], [A, np.inf]]))) == [(0, 0)]
    # without Inf no padding: the cheaper complete assignment
    assert _pairs(devkit_hungarian(np.array([[0.0, A], [A, 0.4]]))) == [(0, 0), (1, 1)]


def test_rows_and_columns_without_an_edge_are_dropped():
    """Isolated rows / columns are condensed away and come back unmatched; nothing finite
    gives no pair; NaN is refused."""
    inf = np.inf
    cost = np.array([[inf, inf, inf], [inf, B, inf], [inf, inf, inf]])
    assert _pairs(devkit_hungarian(cost)) == [(1, 1)]
    assert not devkit_hungarian(np.full((2, 3), inf)).any()
    with pytest.raises(ValueError, match='finite or \\+inf'):
        devkit_hungarian(np.array([[np.nan]]))


def test_hungarian_with_augmenting_paths_and_dual_updates():
    """A 3 x 3 case through steps 4-6. Step 1 (row minima 0.1) leaves zeros in column 1 only;
    step 2 stars (1, 1); no uncovered zero, so step 6 subtracts 0.1 from columns 2 and 3, which
    makes (1, 3) and (3, 2) zero. Step 4 primes (1, 3), covers row 1 and uncovers column 1,
    primes (2, 1) (no star in row 2); step 5 swaps the path (2, 1), (1, 1), (1, 3): stars (2, 1)
    and (1, 3). Step 4 then primes (3, 2), which is starred: rows (1, 2, 3) -> columns
    (3, 1, 2). Octave running ``Hungarian.m`` gives the same for this and the cases above."""
    cost = np.array([[0.1, 0.3, 0.2], [0.1, 0.4, 0.5], [0.1, 0.2, 0.5]])
    assert _pairs(devkit_hungarian(cost)) == [(0, 2), (1, 0), (2, 1)]


def test_tie_decides_which_detection_a_distractor_removes():
    """Distractor G1 (gt.txt row 1) and pedestrian G2 (row 2) both centred on x = 110; D1 and
    D2 are the pedestrian's box shifted 2 px left / right, so IoU(G1, D1) = IoU(G1, D2) = 2/3
    and IoU(G2, D1) = IoU(G2, D2) = 9/11: the cost matrix is ``[[a, a], [b, b]]`` and the
    devkit removes D1 (score 0.9), keeps D2 (0.3). With D3 (0.6) on a frame without GT, the
    kept detections in score order are D3 (FP), D2 (TP): AP = 10 x 0.5 / 11 (recall 0 takes
    the first detection's precision, 0). scipy's order removes D2: D1 TP first, AP 100."""
    gt = [dict(img_id='s/000001', instances=[_inst([100, 95, 20, 50], 8),
                                             _inst([100, 100, 20, 40], 1)]),
          dict(img_id='s/000002', instances=[])]
    dets = {'s/000001': (np.array([[98, 100, 20, 40], [102, 100, 20, 40.]]), np.array([.9, .3])),
            's/000002': (np.array([[300, 0, 20, 40.]]), np.array([.6]))}
    res = eval_mot17det_ap(gt, dets)
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 1, 1)
    assert res['AP'] == pytest.approx(500 / 11)


def test_padding_decides_between_one_and_two_pairs():
    """Pedestrian G1 (row 1) and distractor G2 (row 2) 8 px above it; D1 is G1 shifted 4 px
    up, D2 4 px down: IoU(G1, D1) = IoU(G1, D2) = IoU(G2, D1) = 2/3, IoU(G2, D2) = 1/4
    (forbidden), i.e. ``[[a, a], [a, Inf]]``: only G1 - D1 is assigned, nothing is removed;
    D1 (0.9) is a TP and D2 (0.8) an FP (G1 taken). scipy's two pairs (G1 - D2, G2 - D1)
    remove D1 and D2 becomes the TP: 1 TP, 0 FP."""
    gt = [dict(img_id='s/000001', instances=[_inst([100, 100, 10, 20], 1),
                                             _inst([100, 92, 10, 20], 8)])]
    dets = {'s/000001': (np.array([[100, 96, 10, 20], [100, 104, 10, 20.]]),
                         np.array([.9, .8]))}
    res = eval_mot17det_ap(gt, dets)
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 1, 1)


def test_a_detection_taken_by_a_low_visibility_vehicle_is_removed():
    """``preprocessResult.m`` removes the detection assigned to any row with visibility
    ``< minvis`` (0.5 for MOT17), whatever its class: a car at visibility 0.49 removes the
    detection on it, a car at exactly 0.5 does not (the detection stays, a false positive)."""
    for vis, fp in ((0.49, 0), (0.5, 1)):
        gt = [dict(img_id='s/000001', instances=[_inst([0, 0, 10, 20], 1),
                                                 _inst([100, 0, 40, 20], 3, vis=vis)])]
        dets = {'s/000001': (np.array([[0, 0, 10, 20], [100, 0, 40, 20.]]),
                             np.array([.9, .8]))}
        res = eval_mot17det_ap(gt, dets)
        assert (res['tp'], res['fp']) == (1, fp), vis
