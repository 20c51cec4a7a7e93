# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det AP result fields the mutation check found unpinned, on hand-worked cases.

The rules are those of the MOTChallenge devkit (``evaluateDetection.m``) as implemented in
:mod:`mmped.evaluation.functional.mot_ap`: without evaluated GT the AP, recall and precision
are undefined (nan) while the false positives are still counted; without detections they
are 0; recall and precision are percentages after all detections.
"""
import math

import numpy as np
import pytest

from mmped.datasets.parsers.common import make_instance
from mmped.evaluation.functional import eval_mot17det_ap


def _ped(x, ignore=False):
    return make_instance([x, 0, 10, 20], ignore, 'pedestrian', vis_ratio=1.0)


def test_no_evaluated_ground_truth_gives_nan_and_counts_the_false_positives():
    gt = [dict(img_id=0, instances=[_ped(0, ignore=True)])]
    res = eval_mot17det_ap(gt, {0: ([[200, 0, 10, 20], [300, 0, 10, 20]], [.9, .8])})
    assert set(res) == {'AP', 'recall', 'precision', 'tp', 'fp', 'num_gt'}
    assert all(math.isnan(res[k]) for k in ('AP', 'recall', 'precision'))
    assert (res['tp'], res['fp'], res['num_gt']) == (0, 2, 0)
    empty = eval_mot17det_ap(gt, {})
    assert (empty['tp'], empty['fp'], empty['num_gt']) == (0, 0, 0)
    assert all(math.isnan(empty[k]) for k in ('AP', 'recall', 'precision'))


def test_without_detections_everything_is_zero():
    res = eval_mot17det_ap([dict(img_id=0, instances=[_ped(0)])], {})
    assert res == dict(AP=0.0, recall=0.0, precision=0.0, tp=0, fp=0, num_gt=1)


def test_recall_and_precision_after_all_detections_in_percent():
    """2 GT, detections TP (0.9), FP (0.8): recall 50 %, precision 50 %, devkit 11-point AP
    = precision 1 at recall 0 ... 0.5 (6 of 11 points) = 600 / 11 %."""
    gt = [dict(img_id=0, instances=[_ped(0), _ped(100)])]
    res = eval_mot17det_ap(gt, {0: (np.array([[0, 0, 10, 20], [300, 0, 10, 20]]), [.9, .8])})
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 1, 2)
    assert res['recall'] == 50.0 and res['precision'] == 50.0
    assert res['AP'] == pytest.approx(600 / 11)
