# Copyright (c) mmped contributors. All rights reserved.
"""Every threshold comparison of the evaluation protocols (mmped/evaluation/functional), pinned
at its boundary: the value exactly at the threshold falls on the side the reference code puts it.

Boxes are chosen so that the overlap is exactly representable (IoU 0.5 = 100 / 200).
"""
import math

import numpy as np
import pytest

from mmped.datasets.parsers.common import make_instance
from mmped.evaluation.functional import (
    MRProtocol,
    MRSetup,
    eval_attributes,
    eval_detection,
    eval_kitti_pedestrian_ap,
    eval_mot17det_ap,
    eval_person_search,
    eval_wider_attribute_map,
    evaluate_miss_rate,
    log_average_miss_rate,
)

INF = math.inf


# --------------------------------------------------------------------------- miss rate
def _mr(gt_boxes, det_rows, num_images=1, ignore=None, vis=None, **setup):
    """Miss-rate result of one setup; GT on image 0 (xywh), dets as (x, y, w, h, score)."""
    ignore = ignore or [0] * len(gt_boxes)
    insts = [make_instance(b, ignore[k], 'person', vis_ratio=INF if vis is None else vis[k])
             for k, b in enumerate(gt_boxes)]
    gts = [dict(img_id=0, instances=insts)] + [dict(img_id=i, instances=[])
                                                for i in range(1, num_images)]
    rows = np.asarray(det_rows, dtype=np.float64).reshape(-1, 5)
    kw = dict(name='s', height_range=(0, INF), det_height_expand=None)
    kw.update(setup)
    proto = MRProtocol('t', (MRSetup(**kw), ), max_dets=None)
    return evaluate_miss_rate(gts, {0: (rows[:, :4], rows[:, 4])}, proto)['s']


def test_mr_iou_exactly_at_threshold_is_a_match():
    """Toolbox ``bbGt('evalRes')`` / CityPersons ``evaluateImg``: a match needs IoU >= 0.5."""
    r = _mr([[0, 0, 10, 20]], [[0, 0, 10, 10, .9]])  # IoU = 100 / 200
    assert r.recall == 1.0 and r.mr2 == 0.0
    r = _mr([[0, 0, 10, 20]], [[0, 0, 10, 9.9, .9]])
    assert r.recall == 0.0 and r.mr2 == 1.0


def test_mr_ioa_exactly_at_threshold_is_absorbed_by_an_ignored_gt():
    """An ignored GT absorbs a detection whose IoA = inter / area(det) >= 0.5 (not a FP)."""
    gt = [[100, 0, 10, 20], [0, 0, 10, 20]]
    tp = [100, 0, 10, 20, .5]
    absorbed = _mr(gt, [tp, [0, 10, 10, 20, .9]], ignore=[0, 1])  # IoA = 100 / 200
    assert absorbed.fppi[-1] == 0.0 and absorbed.num_gt == 1
    counted = _mr(gt, [tp, [0, 10.1, 10, 20, .9]], ignore=[0, 1])
    assert counted.fppi[-1] == 1.0


@pytest.mark.parametrize('right_open,counted', [(True, [1, 1, 0]), (False, [1, 1, 1])])
def test_mr_height_range_ends(right_open, counted):
    """Caltech ``dbEval`` keeps ``lo <= h < hi`` (``height_right_open``); CityPersons keeps
    ``lo <= h <= hi``; both ignore a GT below ``lo``."""
    heights = [50, 79.9, 80, 49.9]
    gt = [[20 * k, 0, 10, h] for k, h in enumerate(heights)]
    for k, c in enumerate(counted + [0]):
        r = _mr([gt[k]], [], height_range=(50, 80), height_right_open=right_open)
        assert r.num_gt == c, heights[k]


def test_mr_visibility_range_is_inclusive():
    """Visible fraction in ``[vr1, vr2]`` inclusive (``bbGt`` ``vRng``, CityPersons vis range)."""
    gt = [[0, 0, 10, 20]] * 4
    r = _mr(gt, [], vis=[0.65, 1.0, 0.6499, 1.0001], vis_range=(0.65, 1.0))
    assert r.num_gt == 2


def test_mr_boundary_box_touching_the_border_is_kept():
    """Caltech ``bnds``: a GT is ignored only if ``x < x1``, ``y < y1``, ``x + w > x2`` or
    ``y + h > y2``: a box touching the border exactly is evaluated."""
    bnds = (5, 5, 635, 475)
    assert _mr([[5, 5, 10, 20]], [], boundary=bnds).num_gt == 1
    assert _mr([[625, 455, 10, 20]], [], boundary=bnds).num_gt == 1
    for box in ([4.9, 5, 10, 20], [5, 4.9, 10, 20], [625.1, 5, 10, 20], [5, 455.1, 10, 20]):
        assert _mr([box], [], boundary=bnds).num_gt == 0, box


def test_mr_detection_height_filter_ends():
    """Detections are kept when ``lo / 1.25 <= h < hi * 1.25`` (``dbEval``'s expanded range):
    a FP of height exactly 40 (= 50 / 1.25) counts, one of exactly 100 (= 80 * 1.25) does not."""
    gt = [[0, 0, 10, 60]]

    def fps(h):
        return _mr(gt, [[300, 0, 10, h, .9]], height_range=(50, 80),
                   det_height_expand=1.25).fppi.tolist()

    assert fps(40) == [1.0]
    assert fps(39.9) == []
    assert fps(99.9) == [1.0]
    assert fps(100) == []


def test_mr_reference_point_exactly_on_a_fppi_value():
    """The recall at a reference point is taken at the largest FPPI <= ref (``dbEval``): a curve
    point exactly at the reference is used, one just after it is not."""
    refs = np.array([0.1, 1.0])
    fppi, recall = np.array([0.1, 0.5]), np.array([0.5, 0.75])
    assert log_average_miss_rate(fppi, recall, refs) == pytest.approx(math.sqrt(.5 * .25))
    later = np.array([0.1000001, 0.5])
    assert log_average_miss_rate(later, recall, refs) == pytest.approx(math.sqrt(1 * .25))
    # end to end: 1 FP then the TP on 10 images puts both points at FPPI 0.1 = a reference
    r = _mr([[0, 0, 10, 20]], [[300, 0, 10, 20, .9], [0, 0, 10, 20, .8]], num_images=10)
    np.testing.assert_allclose(r.fppi, [.1, .1])
    refs = np.logspace(-2, 0, 9)
    expected = math.exp(4 * math.log(1.0) / 9 + 5 * math.log(1e-10) / 9)
    assert log_average_miss_rate(r.fppi, 1 - r.miss_rate, refs, 1e-10) == pytest.approx(expected)


# --------------------------------------------------------------------------- person search
def _gallery_image(img_id, scores, boxes, gt_boxes, pids, feats=None):
    n = len(scores)
    return dict(img_id=img_id, scores=np.asarray(scores, float),
                bboxes=np.asarray(boxes, float).reshape(-1, 4),
                feats=np.asarray(feats if feats is not None else [[1.0, 0.0]] * n,
                                 float).reshape(n, 2),
                gt_bboxes=np.asarray(gt_boxes, float).reshape(-1, 4),
                gt_person_ids=np.asarray(pids))


def test_detection_score_exactly_det_thresh_is_kept():
    """OIM / SeqNet evaluation keeps gallery detections with ``score >= det_thresh``."""
    box = [[0, 0, 10, 20]]
    assert eval_detection([_gallery_image(0, [.5], box, box, [1])])['recall'] == 1.0
    assert eval_detection([_gallery_image(0, [.4999], box, box, [1])])['recall'] == 0.0


def test_detection_iou_exactly_at_threshold_is_a_match():
    """Detection recall / AP match at ``IoU >= 0.5``."""
    gt = [[0, 0, 10, 20]]
    res = eval_detection([_gallery_image(0, [.9], [[0, 0, 10, 10]], gt, [1])])
    assert res == dict(recall=1.0, ap=1.0)
    res = eval_detection([_gallery_image(0, [.9], [[0, 0, 10, 9.9]], gt, [1])])
    assert res == dict(recall=0.0, ap=0.0)


def _search(det_box, target_box, score=.9):
    gallery = [_gallery_image('q', [], [], [[0, 0, 5, 5]], [7]),
               _gallery_image('g', [score], [det_box], [target_box], [7])]
    query = dict(img_id='q', bbox=np.array([0, 0, 5, 5.]), person_id=7, feat=np.array([1., 0]))
    return eval_person_search(gallery, [query])


def test_search_iou_exactly_at_threshold_is_the_positive():
    """The first detection with ``IoU >= min(0.5, wh / ((w + 10)(h + 10)))`` is the positive:
    a 90 x 190 target has threshold 0.5 and a detection of exactly half of it matches."""
    assert _search([0, 0, 90, 95], [0, 0, 90, 190])['mAP'] == 1.0
    assert _search([0, 0, 90, 94.9], [0, 0, 90, 190])['mAP'] == 0.0


def test_search_relaxed_threshold_for_small_targets():
    """A 10 x 10 target has threshold 100 / 400 = 0.25 (not 0.5): IoU exactly 0.25 matches."""
    assert _search([0, 0, 10, 2.5], [0, 0, 10, 10])['mAP'] == 1.0
    assert _search([0, 0, 10, 2.4], [0, 0, 10, 10])['mAP'] == 0.0


def test_search_score_exactly_det_thresh_is_searched():
    """Gallery detections with ``score >= det_thresh`` (0.5) take part in the search."""
    assert _search([0, 0, 10, 20], [0, 0, 10, 20], score=.5)['mAP'] == 1.0
    res = _search([0, 0, 10, 20], [0, 0, 10, 20], score=.4999)
    assert res['mAP'] == 0.0 and res['recall'][0] == 0.0


# --------------------------------------------------------------------------- KITTI
def _kitti(gt_rows, det_boxes, det_scores, difficulties=('easy', )):
    """gt_rows: (type, xyxy, occlusion, truncation)."""
    insts = [dict(bbox=list(b), kitti_type=t, occlusion=o, truncation=tr)
             for t, b, o, tr in gt_rows]
    dets = {0: (np.asarray(det_boxes, float).reshape(-1, 4), np.asarray(det_scores, float))}
    return eval_kitti_pedestrian_ap([dict(img_id=0, instances=insts)], dets, difficulties)


def test_kitti_iou_exactly_at_threshold_is_not_a_match():
    """The devkit (``eval.cpp`` ``computeStatistics``) matches only ``overlap > 0.5``."""
    gt = [('Pedestrian', [0, 0, 10, 100], 0, 0.0)]
    assert _kitti(gt, [[0, 0, 10, 50]], [.9])['easy_R11'] == 0.0
    assert _kitti(gt, [[0, 0, 10, 50.1]], [.9])['easy_R11'] == pytest.approx(100 / 11)


def test_kitti_gt_height_exactly_min_height_is_ignored():
    """``height <= MIN_HEIGHT`` makes a GT ignored (easy 40 px): a 40 px pedestrian is not
    evaluated in easy (no GT: NaN) but is in moderate (min 25)."""
    gt = [('Pedestrian', [0, 0, 10, 40], 0, 0.0)]
    res = _kitti(gt, [[0, 0, 10, 40]], [.9], ('easy', 'moderate'))
    assert math.isnan(res['easy_R11']) and res['moderate_R11'] == pytest.approx(100 / 11)
    res = _kitti([('Pedestrian', [0, 0, 10, 40.1], 0, 0.0)], [[0, 0, 10, 40.1]], [.9])
    assert res['easy_R11'] == pytest.approx(100 / 11)


def test_kitti_occlusion_and_truncation_exactly_at_the_maximum_are_evaluated():
    """A GT is hard only when ``occlusion > MAX_OCCLUSION`` or ``truncation > MAX_TRUNCATION``
    (easy: 0 and 0.15)."""
    box = [0, 0, 10, 100]
    assert _kitti([('Pedestrian', box, 0, 0.15)], [box], [.9])['easy_R11'] == pytest.approx(
        100 / 11)
    assert math.isnan(_kitti([('Pedestrian', box, 0, 0.1501)], [box], [.9])['easy_R11'])
    assert math.isnan(_kitti([('Pedestrian', box, 1, 0.0)], [box], [.9])['easy_R11'])


def test_kitti_detection_height_exactly_min_height_counts_as_a_false_positive():
    """Detections with ``height < MIN_HEIGHT`` are ignored; one exactly 40 px high is a FP
    (here ranked first: precision 1/2 at the only recall point)."""
    gt = [('Pedestrian', [0, 0, 10, 100], 0, 0.0)]
    fp = _kitti(gt, [[0, 0, 10, 100], [200, 0, 210, 40]], [.8, .9])
    assert fp['easy_R11'] == pytest.approx(50 / 11)
    ign = _kitti(gt, [[0, 0, 10, 100], [200, 0, 210, 39.9]], [.8, .9])
    assert ign['easy_R11'] == pytest.approx(100 / 11)


def test_kitti_dontcare_overlap_exactly_at_threshold_is_not_ignored():
    """A detection on a DontCare region is ignored only when ``inter / area(det) > 0.5``."""
    gt = [('Pedestrian', [0, 0, 10, 100], 0, 0.0), ('DontCare', [200, 0, 210, 100], -1, -1)]
    on_half = _kitti(gt, [[0, 0, 10, 100], [200, 50, 210, 150]], [.8, .9])  # IoA 0.5: FP
    assert on_half['easy_R11'] == pytest.approx(50 / 11)
    inside = _kitti(gt, [[0, 0, 10, 100], [200, 49, 210, 149]], [.8, .9])  # IoA 0.51
    assert inside['easy_R11'] == pytest.approx(100 / 11)


# --------------------------------------------------------------------------- MOT17Det
def _ped(x, h=20, vis=1.0, ignore=False):
    return make_instance([x, 0, 10, h], ignore, 'pedestrian', vis_ratio=vis)


def test_mot_iou_exactly_at_threshold_is_a_match():
    """MOTChallenge ``evaluateDetection.m``: a detection matches a GT with IoU >= 0.5."""
    gt = [dict(img_id=0, instances=[_ped(0)])]
    assert eval_mot17det_ap(gt, {0: ([[0, 0, 10, 10]], [.9])})['tp'] == 1
    assert eval_mot17det_ap(gt, {0: ([[0, 0, 10, 9.9]], [.9])})['tp'] == 0


def test_mot_visibility_exactly_min_vis_is_evaluated():
    """Pedestrians with visibility >= 0.5 are evaluated; 0.4999 are not."""
    gt = [dict(img_id=0, instances=[_ped(0, vis=0.5), _ped(100, vis=0.4999)])]
    assert eval_mot17det_ap(gt, {})['num_gt'] == 1


def test_mot_cleaning_removes_a_detection_exactly_at_threshold_on_a_distractor():
    """The cleaning step forbids pairs with ``1 - IoU > 0.5``: a detection with IoU exactly 0.5
    on an ignored pedestrian is removed (neither TP nor FP); one at 0.495 stays a FP."""
    gt = [dict(img_id=0, instances=[_ped(0), _ped(100, ignore=True)])]
    tp = [0, 0, 10, 20]
    res = eval_mot17det_ap(gt, {0: ([tp, [100, 0, 10, 10]], [.9, .8])})
    assert (res['tp'], res['fp']) == (1, 0)
    res = eval_mot17det_ap(gt, {0: ([tp, [100, 0, 10, 9.9]], [.9, .8])})
    assert (res['tp'], res['fp']) == (1, 1)


# --------------------------------------------------------------------------- attributes
def test_attribute_probability_exactly_at_threshold_is_negative():
    """Rethinking-of-PAR thresholds ``probs > 0.5`` (strict): 0.5 is a negative prediction."""
    gt = np.array([[1], [0], [1]])
    res = eval_attributes(gt, np.array([[.5], [.5], [.9]]))
    assert res['label_pos_recall'][0] == pytest.approx(.5)
    assert res['label_neg_recall'][0] == pytest.approx(1.0)
    assert res['mA'] == pytest.approx(.75)


def test_attribute_ignored_entry_predicted_positive_counts_nowhere():
    """RAP's uncertain label (weight 0): an ignored entry predicted positive is no FP."""
    gt = np.array([[1, 2], [0, 2]])
    res = eval_attributes(gt, np.array([[.9, .9], [.1, .9]]), ignore_value=2)
    assert res['instance_prec'].tolist() == pytest.approx([1.0, 0.0])
    assert res['instance_acc'].tolist() == pytest.approx([1.0, 0.0])
    assert res['precision'] == pytest.approx(.5) and res['accuracy'] == pytest.approx(.5)
    assert res['label_neg_count'].tolist() == [1, 0]


def test_wider_unspecified_entries_are_removed_before_the_ap():
    """WIDER-Attribute: samples labelled 0 (unspecified) leave the attribute's AP; a
    high-scoring unspecified sample must not rank above the positive."""
    gt = np.array([[1], [0], [-1]])  # -1 = unspecified (ignore_value), 0 = negative
    res = eval_wider_attribute_map(gt, np.array([[.5], [.1], [.9]]), ignore_value=-1)
    assert res['ap'][0] == pytest.approx(1.0) and res['mAP'] == pytest.approx(1.0)
    res = eval_wider_attribute_map(np.array([[1], [0], [0]]), np.array([[.5], [.1], [.9]]))
    assert res['ap'][0] == pytest.approx(.5)


def test_detection_greedy_matching_duplicates_and_unlabelled_people():
    """Greedy one-to-one matching (``matching='greedy'``) in descending score order: a second
    detection on a taken person is a FP; with ``labelled_only`` identity 0 counts (``pid >=
    0``) and a detection on an unlabelled person (-1) is neither TP nor FP. SeqNet's default
    mutual-best rule instead pairs a person with its best-overlapping detection whatever the
    scores (the first of equal overlaps)."""
    gts = [[0, 0, 10, 20], [100, 0, 110, 20]]
    dets = [[0, 0, 10, 20], [0, 0, 10, 20], [100, 0, 110, 20], [300, 0, 310, 20]]
    img = _gallery_image(0, [.9, .8, .7, .95], dets, gts, [0, -1])
    # ranking: FP .95, TP .9, FP (duplicate) .8, TP .7 -> AP = .5 * .5 + .5 * .5
    greedy = dict(matching='greedy')
    assert eval_detection([img], **greedy) == dict(recall=1.0, ap=pytest.approx(0.5))
    assert eval_detection([], **greedy) == dict(recall=0.0, ap=0.0)
    # a lower-scored duplicate never steals the greedy match: the order is by score
    swapped = _gallery_image(0, [.8, .9], dets[:2], gts[:1], [0])
    assert eval_detection([swapped], **greedy) == dict(recall=1.0, ap=1.0)
    # mutual best: the first of the two equal overlaps (score .8) is the TP, .9 a FP
    assert eval_detection([swapped]) == dict(recall=1.0, ap=pytest.approx(0.5))


def test_all_point_interpolated_ap_hand_worked():
    """VOC 2010+ AP: area under the monotone precision envelope."""
    from mmped.evaluation.functional import average_precision_from_pr
    # points (r, p): (.5, 1), (1, .5) -> .5 * 1 + .5 * .5
    assert average_precision_from_pr(np.array([.5, 1.]), np.array([1., .5])) == 0.75
    # a later higher precision lifts the envelope: (.25, .5), (.5, 1) -> .5 * 1 + 0 beyond .5
    assert average_precision_from_pr(np.array([.25, .5]), np.array([.5, 1.])) == 0.5
    assert average_precision_from_pr(np.array([1.]), np.array([1.])) == 1.0


def test_person_search_iou_on_non_square_partial_overlaps():
    """IoU with x and y extents that differ (square or identical boxes hide index swaps)."""
    from mmped.evaluation.functional.person_search import _iou_matrix, _pairwise_iou_rows
    a = np.array([[0., 0., 10., 20.], [0., 0., 10., 20.]])
    b = np.array([[5., 10., 25., 50.], [30., 30., 40., 40.]])
    # inter 5 x 10 = 50; areas 200 and 800
    np.testing.assert_allclose(_iou_matrix(a[:1], b), [[50 / 950, 0.0]])
    np.testing.assert_allclose(_pairwise_iou_rows(a, b), [50 / 950, 0.0])
    c = np.array([[2., 4., 6., 30.]])  # inside-ish: inter 4 x 16 = 64, areas 200 and 104
    np.testing.assert_allclose(_iou_matrix(a[:1], c), [[64 / 240]])
    np.testing.assert_allclose(_pairwise_iou_rows(a[:1], c), [64 / 240])


def test_attribute_inputs_checked_and_empty_inputs_give_zeros():
    with pytest.raises(ValueError, match=r'gt and probs must be 2-D arrays of the same shape'):
        eval_attributes(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r'gt and scores must be 2-D'):
        eval_wider_attribute_map(np.zeros((2, 1)), np.zeros((2, 2)))
    res = eval_attributes(np.zeros((0, 2)), np.zeros((0, 2)))
    assert (res['accuracy'], res['precision'], res['recall'], res['f1']) == (0.0, 0.0, 0.0, 0.0)
    assert eval_attributes(np.zeros((2, 0)), np.zeros((2, 0)))['mA'] == 0.0


def test_search_identity_zero_is_a_labelled_target_and_duplicate_images_are_refused():
    """Identities start at 0 (``pid >= 0`` is labelled); negative ids are unlabelled people."""
    gallery = [_gallery_image('q', [], [], [[0, 0, 5, 5]], [0]),
               _gallery_image('g', [.9], [[0, 0, 10, 20]], [[0, 0, 10, 20]], [0])]
    query = dict(img_id='q', bbox=np.array([0, 0, 5, 5.]), person_id=0, feat=np.array([1., 0]))
    res = eval_person_search(gallery, [query])
    assert res['mAP'] == 1.0 and res['recall'][0] == 1.0
    with pytest.raises(ValueError, match='^duplicate img_id in the gallery results$'):
        eval_person_search(gallery + gallery[1:], [query])
