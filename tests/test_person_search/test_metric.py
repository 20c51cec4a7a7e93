# Copyright (c) mmped contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmped.evaluation.functional.person_search import (
    average_precision,
    eval_detection,
    eval_person_search,
    relaxed_iou_threshold,
)
from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric

TARGET = [0.0, 0.0, 100.0, 200.0]


def _img(img_id, dets, gts=(), cam=-1):
    """dets: (box, score, sim-to-query-direction); features are 2-d unit vectors."""
    boxes = np.array([d[0] for d in dets], dtype=float).reshape(-1, 4)
    scores = np.array([d[1] for d in dets], dtype=float)
    feats = np.array([[s, np.sqrt(1 - s * s)] for s in (d[2] for d in dets)]).reshape(-1, 2)
    return dict(img_id=img_id, bboxes=boxes, scores=scores, feats=feats, cam_id=cam,
                gt_bboxes=np.array([g[0] for g in gts], dtype=float).reshape(-1, 4),
                gt_person_ids=np.array([g[1] for g in gts]))


def _query(gallery=None, cam=-1):
    return dict(img_id='q', bbox=TARGET, person_id=1, feat=np.array([1.0, 0.0]),
                gallery=gallery, cam_id=cam)


def test_average_precision_hand_worked():
    assert average_precision([1, 0, 1, 1], [0.9, 0.8, 0.7, 0.6]) == pytest.approx(
        (1 + 2 / 3 + 3 / 4) / 3)
    assert average_precision([1, 0], [0.5, 0.5]) == pytest.approx(0.5)  # tie = one threshold
    assert average_precision([0, 0], [0.5, 0.4]) == 0.0


def test_first_match_only():
    near = [5.0, 0.0, 105.0, 200.0]  # IoU with the target 0.905
    gallery = [_img('q', [(TARGET, 0.9, 1.0)], [(TARGET, 1)]),
               _img('a', [(TARGET, 0.9, 0.9), (near, 0.9, 0.8)], [(TARGET, 1)]),
               _img('b', [(TARGET, 0.9, 0.95)], [(TARGET, 2)])]
    res = eval_person_search(gallery, [_query()])
    # ranking: b (0.95, neg), a/target (0.9, pos), a/near (0.8, neg: only first match counts)
    assert res['mAP'] == pytest.approx(0.5)
    assert res['top1'] == 0.0 and res['top5'] == 1.0
    # a protocol gallery restricts the search
    res = eval_person_search(gallery, [_query(gallery=['a'])])
    assert res['mAP'] == pytest.approx(1.0) and res['top1'] == 1.0
    # protocol target boxes: 'q' listed without target -> its detection is a negative
    q = _query(gallery=['q', 'a'])
    q['gallery_bboxes'] = [None, TARGET]
    res = eval_person_search(gallery, [q])
    assert res['mAP'] == pytest.approx(0.5) and res['recall'][0] == 1.0


def test_missed_target_lowers_ap_and_det_thresh():
    gallery = [_img('a', [(TARGET, 0.9, 0.9)], [(TARGET, 1)]),
               _img('c', [(TARGET, 0.4, 0.99)], [(TARGET, 1)]),  # below det_thresh: missed
               _img('d', [], [(TARGET, 1)])]  # not detected at all
    res = eval_person_search(gallery, [_query()])
    assert res['mAP'] == pytest.approx(1.0 / 3.0)
    assert res['recall'][0] == pytest.approx(1.0 / 3.0)
    res = eval_person_search(gallery, [_query()], det_thresh=0.3)
    assert res['mAP'] == pytest.approx(2.0 / 3.0)


def test_relaxed_iou_for_small_boxes():
    small = [0.0, 0.0, 10.0, 20.0]
    shifted = [0.0, 9.0, 10.0, 29.0]  # IoU = 11 / 29 = 0.379
    thr = relaxed_iou_threshold(np.array([10.0]), np.array([20.0]))[0]
    assert thr == pytest.approx(200 / (20 * 30))
    q = dict(img_id='q', bbox=small, person_id=1, feat=np.array([1.0, 0.0]))
    res = eval_person_search([_img('a', [(shifted, 0.9, 0.9)], [(small, 1)])], [q])
    assert res['mAP'] == pytest.approx(1.0)
    # the same relative shift on a large person (IoU 0.379 < 0.5) is a miss
    big_t, big_d = [0.0, 0.0, 100.0, 200.0], [0.0, 90.0, 100.0, 290.0]
    q['bbox'] = big_t
    res = eval_person_search([_img('a', [(big_d, 0.9, 0.9)], [(big_t, 1)])], [q])
    assert res['mAP'] == 0.0


def test_gallery_sizes_and_cross_camera():
    gallery = [_img('a', [(TARGET, 0.9, 0.8)], [(TARGET, 1)], cam=2),
               _img('b', [(TARGET, 0.9, 0.95)], [(TARGET, 2)], cam=1),
               _img('c', [(TARGET, 0.9, 0.9)], [(TARGET, 3)], cam=2)]
    full = eval_person_search(gallery, [_query(cam=1)])
    assert full['mAP'] == pytest.approx(1 / 3)
    small = eval_person_search(gallery, [_query(gallery=['a', 'c'], cam=1)])
    assert small['mAP'] == pytest.approx(0.5)
    cross = eval_person_search(gallery, [_query(cam=1)], cross_camera=True)
    assert cross['mAP'] == pytest.approx(0.5)  # b (camera 1, like the query) is left out
    same_cam = eval_person_search(gallery, [_query(cam=2)], cross_camera=True)
    assert same_cam['mAP'] == 0.0 and same_cam['recall'][0] == 0.0
    with pytest.raises(KeyError, match='gallery image'):
        eval_person_search(gallery, [_query(gallery=['zz'])])


def test_eval_detection_hand_worked():
    g = _img('a', [([50, 50, 60, 60], 0.95, 1.0), ([0, 0, 10, 10], 0.9, 1.0),
                   ([20, 20, 30, 30], 0.85, 1.0)],
             [([0, 0, 10, 10], 1), ([20, 20, 30, 30], -1), ([70, 70, 80, 80], 2)])
    res = eval_detection([g])
    assert res['recall'] == pytest.approx(2 / 3)
    assert res['ap'] == pytest.approx((1 / 2 + 2 / 3) / 2 * 2 / 3)
    # a detection of an unlabelled person is neither a true nor a false positive
    res = eval_detection([g], labelled_only=True)
    assert res['recall'] == pytest.approx(0.5) and res['ap'] == pytest.approx(0.5 * 0.5)


def test_metric_wrapper():
    metric = PersonSearchMetric()
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    samples = [
        dict(img_path='/d/q.jpg', scale_factor=(2.0, 2.0),
             pred_instances=dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                 reid_feats=torch.zeros(0, 2)),
             gt_instances=dict(bboxes=torch.tensor([TARGET]), person_ids=torch.tensor([1])),
             queries=[dict(bbox=TARGET, person_id=1, query_id=0, gallery=['a.jpg'])],
             query_feats=feats[:1]),
        dict(img_path='/d/a.jpg', scale_factor=(2.0, 2.0),
             pred_instances=dict(bboxes=torch.tensor([TARGET, [300., 0., 400., 200.]]),
                                 scores=torch.tensor([0.9, 0.9]), reid_feats=feats),
             gt_instances=dict(bboxes=torch.tensor([TARGET]), person_ids=torch.tensor([1])))]
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['mAP'] == pytest.approx(1.0) and out['top1'] == 1.0
    # the query image's person was not detected: recall 1/2; tied FP in a: AP 0.5 * 1/2
    assert out['det_recall'] == pytest.approx(0.5) and out['det_ap'] == pytest.approx(0.25)
