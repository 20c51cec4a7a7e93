# Copyright (c) mmped contributors. All rights reserved.
"""Person-search helpers the mutation check found unpinned, on hand-worked values.

The rules are those of :mod:`mmped.evaluation.functional.person_search` (the CUHK-SYSU / PRW
protocol of OIM and SeqNet): scikit-learn's step AP, the score filter compared in the scores'
own precision, the relaxed IoU threshold ``min(0.5, wh / ((w + 10)(h + 10)))``, SeqNet's
float32 mutual-best detection rule and the greedy rule's ``IoU >= threshold``.
"""
import numpy as np
import pytest

from mmped.evaluation.functional.person_search import (
    _greedy_tp,
    _mutual_best_tp,
    average_precision,
    relaxed_iou_threshold,
    score_at_least,
)


def test_average_precision_checks_shapes():
    with pytest.raises(ValueError, match=r'y_true \(2,\) and y_score \(3,\) differ in shape'):
        average_precision(np.ones(2), np.ones(3))


def test_score_at_least_keeps_the_threshold_itself():
    """``>=`` for integer scores (compared as float64) and for float scores (compared in their
    own precision: float32(0.7) >= float32(0.7) although float32(0.7) < 0.7 in float64);
    any input shape is flattened."""
    np.testing.assert_array_equal(score_at_least(np.array([[1], [2], [3]]), 2), [0, 1, 1])
    kept = score_at_least(np.array([0.7, 0.69], np.float32), 0.7)
    np.testing.assert_array_equal(kept, [True, False])


def test_relaxed_iou_threshold_default_base():
    """Large targets get the base 0.5; a 10 x 10 target gets 100 / 400 = 0.25."""
    np.testing.assert_allclose(relaxed_iou_threshold(np.array([100., 10.]),
                                                     np.array([300., 10.])), [0.5, 0.25])


def test_mutual_best_compares_in_float32():
    """SeqNet stores the IoUs as float32 before ``>= 0.5``: 0.5 - 1e-9 rounds to 0.5 and
    matches; each of a ground truth and a detection takes only its highest-IoU partner."""
    tp = _mutual_best_tp(np.array([[0.5 - 1e-9, 0.2], [0.6, 0.7]]), 0.5)
    np.testing.assert_array_equal(tp, [[False, False], [False, True]])
    tp = _mutual_best_tp(np.array([[0.5 - 1e-9]]), 0.5)
    np.testing.assert_array_equal(tp, [[True]])


def test_greedy_match_at_exactly_the_threshold_and_taken_ground_truth():
    """A detection matches the best free ground truth when IoU >= threshold (0.5 included);
    a taken ground truth is not matched again."""
    tp = _greedy_tp(np.array([[0.5, 0.9], [0.0, 0.5]]), 0.5)
    np.testing.assert_array_equal(tp, [[True, False], [False, True]])
