# Copyright (c) mmped contributors. All rights reserved.
"""Hand-built cases of the reference person-search evaluation (SeqNet ``eval_func.py``).

Each test states the reference rule it pins in its docstring.
"""
import numpy as np
import pytest
import torch

from mmped.evaluation.functional.person_search import eval_detection, eval_person_search
from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric


def _strip(x1, x2):
    """A 10-pixel-high box spanning [x1, x2]: IoUs reduce to interval overlaps."""
    return [float(x1), 0.0, float(x2), 10.0]


def _image(img_id, dets, gts, feats=None):
    boxes = np.array([d[0] for d in dets], dtype=float).reshape(-1, 4)
    scores = np.array([d[1] for d in dets], dtype=float)
    if feats is None:
        feats = np.tile([1.0, 0.0], (len(dets), 1))
    return dict(img_id=img_id, bboxes=boxes, scores=scores, feats=np.asarray(feats, float),
                gt_bboxes=np.array([g[0] for g in gts], dtype=float).reshape(-1, 4),
                gt_person_ids=np.array([g[1] for g in gts]))


# A = [0, 10], B = [4, 14]; det1 = [3, 12]: IoU(A) = 7/12, IoU(B) = 8/11;
# det2 = [4, 13]: IoU(B) = 9/10, IoU(A) = 6/13 < 0.5
GT_A, GT_B = _strip(0, 10), _strip(4, 14)
DET_1, DET_2 = _strip(3, 12), _strip(4, 13)


def test_detection_mutual_best_whatever_the_scores():
    """SeqNet ``eval_detection``: within an image, a (gt, det) pair is a hit when IoU >= 0.5 and
    the det's highest-IoU gt is that gt and the gt's highest-IoU det is that det; scores take no
    part. det1's best gt is B, but B's best det is det2, so det1 is a false positive and A stays
    missed, although det1 has the higher score (greedy score-order matching would give det1 to B
    and leave det2, at IoU 6/13 with A, a false positive)."""
    g = _image('a', [(DET_1, 0.9), (DET_2, 0.8)], [(GT_A, 1), (GT_B, 2)])
    res = eval_detection([g])
    # ranking: det1 (FP, 0.9), det2 (TP, 0.8): AP = 1/2 * recall 1/2
    assert res['recall'] == pytest.approx(0.5)
    assert res['ap'] == pytest.approx(0.25)
    # the scores swapped: same hits, AP now 1 * 1/2
    g2 = _image('a', [(DET_1, 0.8), (DET_2, 0.9)], [(GT_A, 1), (GT_B, 2)])
    assert eval_detection([g2]) == pytest.approx(dict(recall=0.5, ap=0.5))
    # greedy (the VOC rule) stays available: det1 takes B, det2 has only A at 6/13
    assert eval_detection([g], matching='greedy') == pytest.approx(dict(recall=0.5, ap=0.5))
    with pytest.raises(ValueError, match='matching'):
        eval_detection([g], matching='hungarian')


def test_detection_iou_exactly_half_is_a_hit():
    """The reference compares ``iou >= iou_thresh`` (float32 IoUs): IoU exactly 0.5 counts."""
    g = _image('a', [(_strip(0, 20), 0.9)], [(_strip(0, 10), 1)])  # IoU 10/20
    assert eval_detection([g])['recall'] == 1.0
    g = _image('a', [(_strip(0, 20.5), 0.9)], [(_strip(0, 10), 1)])  # IoU 10/20.5
    assert eval_detection([g])['recall'] == 0.0


def test_detection_labelled_only_reference_semantics():
    """SeqNet ``labeled_only``: unlabelled people (pid 5555, here < 0) are removed from the
    ground truth before matching, so a detection on one is a false positive; an image with no
    labelled person is skipped, its detections counted nowhere."""
    lab, unl = _strip(0, 10), _strip(30, 40)
    one = _image('a', [(unl, 0.9), (lab, 0.8)], [(lab, 7), (unl, -1)])
    # the detection on the unlabelled person (0.9) is a false positive above the hit
    assert eval_detection([one], labelled_only=True) == pytest.approx(dict(recall=1.0, ap=0.5))
    # all people: both detections are hits
    assert eval_detection([one]) == pytest.approx(dict(recall=1.0, ap=1.0))
    hit = _image('a', [(lab, 0.8)], [(lab, 7)])
    stray = _image('b', [(_strip(60, 70), 0.95)], [(unl, -1)])  # no labelled person: skipped
    assert eval_detection([hit, stray], labelled_only=True) == pytest.approx(
        dict(recall=1.0, ap=1.0))
    # without labelled_only the stray detection is a false positive above the hit
    assert eval_detection([hit, stray]) == pytest.approx(dict(recall=0.5, ap=0.25))


T1 = [0.0, 0.0, 100.0, 200.0]
T2 = [300.0, 0.0, 400.0, 200.0]


def _dup_gallery():
    # image a: d1 on T1 (similarity 0.9), d2 on T2 (0.8); image b: one negative (0.85)
    a = _image('a', [(T1, 0.99), (T2, 0.99)], [], feats=[[0.9, np.sqrt(0.19)],
                                                       [0.8, 0.6]])
    b = _image('b', [(T1, 0.99)], [], feats=[[0.85, np.sqrt(1 - 0.85 ** 2)]])
    return [a, b]


def _dup_query(gallery, boxes):
    return dict(img_id='q', bbox=T1, person_id=1, feat=np.array([1.0, 0.0]),
                gallery=gallery, gallery_bboxes=boxes)


def test_duplicate_gallery_entries_seqnet_oim_unique():
    """A TestG gallery listing image a twice, with two different target boxes.

    SeqNet (default): a's detections are ranked once, labelled against the first entry's box;
    every entry with a box counts in the recall denominator (2) -> found 1 of 2, AP 1 * 1/2.
    OIM ``psdb.py``: each entry is scored: a's detections appear twice, the first copy labelled
    by T1, the second by T2 -> ranking d1+ d1- (tie at 0.9), b- (0.85), d2+ d2- (tie at 0.8):
    AP = 1/2 * 1/2 + 1/2 * 2/5 = 0.45, recall 2/2. ``unique`` (mmped 0.1): a once with its
    first box, denominator 1 image -> AP 1."""
    gal = _dup_gallery()
    q = _dup_query(['a', 'b', 'a'], [T1, None, T2])
    seqnet = eval_person_search(gal, [q])
    assert seqnet['mAP'] == pytest.approx(0.5) and seqnet['recall'][0] == 0.5
    assert seqnet['top1'] == 1.0
    oim = eval_person_search(gal, [q], duplicate_gallery='oim')
    assert oim['mAP'] == pytest.approx(0.45) and oim['recall'][0] == 1.0
    unique = eval_person_search(gal, [q], duplicate_gallery='unique')
    assert unique['mAP'] == pytest.approx(1.0) and unique['recall'][0] == 1.0
    with pytest.raises(ValueError, match='duplicate_gallery'):
        eval_person_search(gal, [q], duplicate_gallery='first')


def test_duplicate_gallery_first_entry_without_box():
    """SeqNet labels a repeated image by its FIRST entry even when that entry has no target box
    (the later entry's box still counts in the denominator): no positive, AP 0. ``unique``
    takes the first listed box instead; OIM scores the boxed copy."""
    gal = _dup_gallery()
    q = _dup_query(['a', 'a'], [None, T1])
    assert eval_person_search(gal, [q])['mAP'] == 0.0
    assert eval_person_search(gal, [q], duplicate_gallery='unique')['mAP'] == pytest.approx(1.0)
    # OIM: d1+ d1- (0.9), d2- d2- (0.8): AP = 1 * 1/2 precision at the only hit
    assert eval_person_search(gal, [q], duplicate_gallery='oim')['mAP'] == pytest.approx(0.5)


def _sample(name, boxes, scores, gt_boxes, feats=None):
    n = len(scores)
    feats = torch.eye(n, 4) if feats is None else feats
    return dict(img_path=f'/d/{name}',
                pred_instances=dict(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                    scores=torch.tensor(scores), reid_feats=feats),
                gt_instances=dict(bboxes=torch.tensor(gt_boxes).reshape(-1, 4),
                                  person_ids=torch.arange(len(gt_boxes))))


def test_metric_thresholds_and_kept_memory():
    """SeqNet's test engine: detection recall / AP on detections scoring >= 0.01, the search on
    those >= 0.5. The metric keeps boxes and scores from the lower threshold on (0.01 itself
    kept) and re-ID features only from the search threshold on (0.5 itself kept)."""
    boxes = [T1, T2, [500., 0., 600., 200.], [700., 0., 800., 200.]]
    metric = PersonSearchMetric()
    metric.process({}, [_sample('a.jpg', boxes, [0.5, 0.3, 0.01, 0.0099], [T1, T2])])
    rec = metric.results[0]
    np.testing.assert_array_equal(rec['scores'], np.array([0.5, 0.3, 0.01], dtype=np.float32))
    assert rec['bboxes'].shape == (3, 4)
    assert rec['feats'].shape == (1, 4)  # only the detection at 0.5 carries a feature
    out = metric.compute_metrics(metric.results)
    # detection at 0.01: both people found (0.5, 0.3), one false positive at 0.01
    assert out['det_recall'] == 1.0 and out['det_ap'] == pytest.approx(1.0)
    high = PersonSearchMetric(det_eval_thresh=0.5)
    high.process({}, [_sample('a.jpg', boxes, [0.5, 0.3, 0.01, 0.0099], [T1, T2])])
    assert high.compute_metrics(high.results)['det_recall'] == 0.5
    with pytest.raises(ValueError, match='duplicate_gallery'):
        PersonSearchMetric(duplicate_gallery='twice')
    with pytest.raises(ValueError, match='det_matching'):
        PersonSearchMetric(det_matching='vocish')
