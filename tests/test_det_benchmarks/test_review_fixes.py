# Copyright (c) mmped contributors. All rights reserved.
"""Hand-worked checks added in review (MOTChallenge devkit ``evaluateDetection.m`` rules)."""
import numpy as np
import pytest

from mmped.datasets.parsers.common import make_instance
from mmped.evaluation.functional import eval_mot17det_ap


def _ped(x, vis=1.0, ignore=False):
    return make_instance([x, 0, 10, 20], ignore, 'pedestrian', vis_ratio=vis)


def test_mot17det_ap_is_the_devkit_11_point_first_reached_precision():
    # 2 GT; detections FP (.9), TP (.8), TP (.7): recall 0, .5, 1; precision 0, .5, 2/3.
    # bbGt('compRoc', .., 0, 0:.1:1): r=0 -> precision of the first detection (0);
    # r=.1..., .5 -> .5; r=.6 ... 1 -> 2/3 (no monotone envelope, no area).
    gt = [dict(img_id='s/000001', instances=[_ped(0), _ped(100)])]
    dets = {'s/000001': (np.array([[300, 0, 10, 20], [0, 0, 10, 20], [100, 0, 10, 20.]]),
                         np.array([.9, .8, .7]))}
    res = eval_mot17det_ap(gt, dets)
    assert (res['tp'], res['fp'], res['num_gt']) == (2, 1, 2)
    assert res['AP'] == pytest.approx((0 + 5 * .5 + 5 * 2 / 3) / 11 * 100)


def test_mot17det_low_visibility_pedestrians_are_not_evaluated():
    # the devkit keeps pedestrians with visibility >= 0.5 and removes detections matched to
    # the others in its cleaning step (neither TP nor FP)
    gt = [dict(img_id='s/000001', instances=[_ped(0, vis=1.0), _ped(100, vis=0.3)])]
    dets = {'s/000001': (np.array([[0, 0, 10, 20], [100, 0, 10, 20.]]), np.array([.9, .8]))}
    res = eval_mot17det_ap(gt, dets)
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 0, 1)
    assert res['AP'] == pytest.approx(100.0)
    # an unmatched pedestrian that is visible enough is a miss
    assert eval_mot17det_ap(gt, {'s/000001': (np.array([[100, 0, 10, 20.]]), np.array([.8]))}
                            )['num_gt'] == 1


def test_mot17det_cleaning_is_a_one_to_one_assignment():
    # Two detections on one distractor: the Hungarian cleaning removes only the one it
    # assigns (the better overlap); the other stays and is a false positive.
    gt = [dict(img_id='s/000001', instances=[_ped(0), _ped(100, ignore=True)])]
    dets = {'s/000001': (np.array([[0, 0, 10, 20], [100, 0, 10, 20], [101, 0, 10, 20.]]),
                         np.array([.9, .8, .7]))}
    res = eval_mot17det_ap(gt, dets)
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 1, 1)


def test_kaist_recall_all_is_only_reported_for_reasonable_all():
    from mmped.evaluation.functional import evaluate_miss_rate, get_mr_protocol, summarize_miss_rate
    inst = make_instance([100, 100, 30, 80], False, 'person', occlusion=0)
    gt = [dict(img_id=0, condition='day', instances=[inst]),
          dict(img_id=1, condition='night', instances=[dict(inst)])]
    dets = {0: (np.array([[100, 100, 30, 80.]]), np.array([.9])),
            1: (np.array([[400, 100, 30, 80.]]), np.array([.9]))}
    night = get_mr_protocol('kaist', setups=['Reasonable-night'])
    out = summarize_miss_rate(evaluate_miss_rate(gt, dets, night), night)
    assert 'recall-all' not in out  # the night recall (0) is not "recall-all"
    both = get_mr_protocol('kaist', setups=['Reasonable-night', 'Reasonable-all'])
    out = summarize_miss_rate(evaluate_miss_rate(gt, dets, both), both)
    assert out['recall-all'] == pytest.approx(50.0)


def test_caltech_results_with_wrong_row_width_name_file_and_line(tmp_path):
    from mmped.datasets.parsers.caltech import load_caltech_results

    gt = [dict(img_id=0, file_name='set06_V000_I00029', instances=[])]
    d = tmp_path / 'res' / 'set06' / 'V000'
    d.mkdir(parents=True)
    # five rows of 6 values in a per-frame file (5 expected): 30 values used to be reshaped
    # silently into 6 wrong boxes
    (d / 'I00029.txt').write_text('\n'.join(['30 1 2 3 4 0.5'] * 5) + '\n')
    with pytest.raises(ValueError, match=r'I00029\.txt.*line 1.*columns'):
        load_caltech_results(tmp_path / 'res', gt)
    (d / 'I00029.txt').write_text('1 2 3 4 0.5\n\n5 6 7 8 0.25\n')
    dets = load_caltech_results(tmp_path / 'res', gt)
    np.testing.assert_allclose(dets[0][1], [.5, .25])
