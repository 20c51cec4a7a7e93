# Copyright (c) mmped contributors. All rights reserved.
"""Attribute and KITTI rules the mutation check found unpinned, each on a hand-worked case.

Attribute metrics: the PETA / RAP / PA-100K definitions of Rethinking-of-PAR (``eps`` in every
denominator) and WIDER-Attribute's mAP. KITTI: the object devkit's ``evaluate_object.cpp``
(type fallbacks, default occlusion / truncation, heights from the box, ``DontCare`` regions per
detection, the assignment loop's skips).
"""
import math
import warnings

import numpy as np
import pytest

from mmped.evaluation.functional import (
    eval_attributes,
    eval_kitti_pedestrian_ap,
    eval_wider_attribute_map,
)


def test_attribute_denominators_carry_eps():
    """With ``eps=0.5`` every ratio shows its denominator: TP / (P + eps), TN / (N + eps),
    per-sample |Y and Y^| / (|Y or Y^| + eps), / (|Y^| + eps), / (|Y| + eps), F1 from the
    means / (precision + recall + eps)."""
    gt = np.array([[1, 0], [1, 0], [0, 1]])
    probs = np.array([[.9, .1], [.2, .3], [.4, .8]])
    r = eval_attributes(gt, probs, eps=0.5)
    np.testing.assert_allclose(r['label_pos_recall'], [1 / 2.5, 1 / 1.5])
    np.testing.assert_allclose(r['label_neg_recall'], [1 / 1.5, 2 / 2.5])
    np.testing.assert_allclose(r['instance_acc'], [1 / 1.5, 0, 1 / 1.5])
    np.testing.assert_allclose(r['instance_prec'], [1 / 1.5, 0, 1 / 1.5])
    np.testing.assert_allclose(r['instance_recall'], [1 / 1.5, 0, 1 / 1.5])
    assert r['precision'] == pytest.approx(4 / 9) and r['recall'] == pytest.approx(4 / 9)
    assert r['f1'] == pytest.approx(2 * (4 / 9)**2 / (8 / 9 + 0.5))


def test_wider_map_without_any_defined_ap_is_nan_without_a_warning():
    """No attribute with a valid positive: every AP and the mAP are nan (no mean of nothing)."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        r = eval_wider_attribute_map(np.zeros((3, 2)), np.ones((3, 2)))
    assert np.isnan(r['ap']).all() and math.isnan(r['mAP'])


def _kitti(instances, dets, difficulties=('easy', )):
    gt = [dict(img_id=0, instances=instances)]
    rows = np.asarray(dets, dtype=np.float64).reshape(-1, 5)
    return eval_kitti_pedestrian_ap(gt, {0: (rows[:, :4], rows[:, 4])}, difficulties)


PED = dict(bbox=[0, 0, 20, 50], kitti_type='Pedestrian', occlusion=0, truncation=0.0)
PERFECT = 100 / 11  # one GT found at the first of the 41 recall positions only


def test_kitti_types_fall_back_to_category_and_occlusion_truncation_default_to_zero():
    """``kitti_type`` else ``category`` else ''; absent occlusion / truncation count as 0 (an
    easy GT); ``Person_sitting`` GT are ignored (no FP on them, no GT left)."""
    det = [[0, 0, 20, 50, .9]]
    assert _kitti([dict(bbox=[0, 0, 20, 50], category='Pedestrian')], det)['easy_R11'] == \
        pytest.approx(PERFECT)
    assert math.isnan(_kitti([dict(bbox=[0, 0, 20, 50])], det)['easy_R11'])
    sitting = dict(PED, kitti_type='Person_sitting')
    assert math.isnan(_kitti([sitting], det)['easy_R11'])
    # the det on the sitting person is not a FP for the pedestrian found after it
    two = _kitti([sitting, dict(PED, bbox=[100, 0, 120, 50])],
                 [[0, 0, 20, 50, .9], [100, 0, 120, 50, .8]])
    assert two['easy_R11'] == pytest.approx(PERFECT)


def test_kitti_heights_are_box_heights():
    """GT and detection heights are y2 - y1: a GT 30 px tall at y = 100 is below easy's 40 px
    (ignored), a 30-px detection at y = 100 is ignored rather than a FP."""
    assert math.isnan(_kitti([dict(PED, bbox=[0, 100, 20, 130])], [])['easy_R11'])
    r = _kitti([PED], [[200, 100, 220, 130, .95], [0, 0, 20, 50, .9]])
    assert r['easy_R11'] == pytest.approx(PERFECT)


def test_kitti_dontcare_is_checked_per_detection():
    """Only the free detection lying on a ``DontCare`` region is dropped; another FP stays."""
    dc = dict(bbox=[300, 0, 340, 50], kitti_type='DontCare')
    r = _kitti([PED, dc], [[500, 0, 520, 50, .95], [300, 0, 320, 50, .9], [0, 0, 20, 50, .8]])
    assert r['easy_R11'] == pytest.approx(PERFECT / 2)


def test_kitti_boxes_disjoint_in_both_directions_do_not_overlap():
    """A detection below-right of the GT (negative width and height of the intersection)
    has no overlap, not the product of the two negative extents; a 1-px-wide exact match
    overlaps."""
    assert _kitti([PED], [[100, 200, 120, 250, .9]])['easy_R11'] == 0.0
    thin = dict(PED, bbox=[0, 0, 1, 50])
    assert _kitti([thin], [[0, 0, 1, 50, .9]])['easy_R11'] == pytest.approx(PERFECT)


def test_kitti_one_detection_covers_one_gt_and_skips_reach_later_detections():
    """A detection assigned to one GT is not reused for the next; a low-overlap or below-
    threshold detection before the matching one is skipped, not the end of the search."""
    a, b = PED, dict(PED, bbox=[2, 0, 22, 50])
    r = _kitti([a, b], [[0, 0, 20, 50, .9]])
    assert (r['easy_R11'], r['easy_R40']) == (pytest.approx(PERFECT), 0.0)
    r = _kitti([PED], [[10, 0, 30, 50, .5], [0, 0, 20, 50, .9]])  # IoU 1/3, then 1
    assert r['easy_R11'] == pytest.approx(PERFECT)


def test_kitti_true_positives_of_one_image_add_up():
    """Two TPs in one image after a higher-scoring FP: precision 2/3 at the second TP's
    threshold (1/2 at the first), so the monotone precision is 2/3 at both recall positions."""
    r = _kitti([PED, dict(PED, bbox=[100, 0, 120, 50])],
               [[300, 0, 320, 50, .95], [0, 0, 20, 50, .9], [100, 0, 120, 50, .8]])
    assert r['easy_R11'] == pytest.approx(100 * (2 / 3) / 11)
    assert r['easy_R40'] == pytest.approx(100 * (2 / 3) / 40)
