# Copyright (c) mmped contributors. All rights reserved.
"""Review checks of the person-search metric: sklearn AP with ties, first match by similarity,
and the mmengine ``evaluate`` path (results truncated to the dataset length)."""
import numpy as np
import pytest
import torch

from mmped.evaluation.functional.person_search import average_precision, eval_person_search
from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric

TARGET = [0.0, 0.0, 100.0, 200.0]


def _sklearn_ap(y_true, y_score):
    """scikit-learn's ``average_precision_score`` (``_binary_clf_curve`` +
    ``precision_recall_curve``), transcribed: sklearn is not a dependency."""
    y_true = np.asarray(y_true, dtype=float)
    y_score = np.asarray(y_score, dtype=float)
    desc = np.argsort(y_score, kind='mergesort')[::-1]
    y_score, y_true = y_score[desc], y_true[desc]
    idx = np.r_[np.where(np.diff(y_score))[0], y_true.size - 1]
    tps = np.cumsum(y_true)[idx]
    fps = 1 + idx - tps
    precision = np.r_[(tps / (tps + fps))[::-1], 1.0]
    recall = np.r_[(tps / tps[-1])[::-1], 0.0]
    return -np.sum(np.diff(recall) * precision[:-1])


def test_average_precision_equals_sklearn_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 15))
        y = rng.integers(0, 2, n)
        if not y.any():
            continue
        s = rng.integers(0, 4, n) / 4.0  # many ties
        assert average_precision(y, s) == pytest.approx(_sklearn_ap(y, s), abs=1e-12)
    # a tie between a positive and a negative is one threshold: precision 1/2, not 1
    assert average_precision([0, 1, 1], [0.9, 0.9, 0.1]) == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)


def _img(img_id, dets, gts):
    boxes = np.array([d[0] for d in dets], dtype=float).reshape(-1, 4)
    feats = np.array([[s, np.sqrt(1 - s * s)] for s in (d[1] for d in dets)]).reshape(-1, 2)
    return dict(img_id=img_id, bboxes=boxes, scores=np.full(len(dets), 0.9), feats=feats,
                gt_bboxes=np.array([g[0] for g in gts], dtype=float).reshape(-1, 4),
                gt_person_ids=np.array([g[1] for g in gts]))


def test_first_match_is_the_most_similar_candidate_not_the_best_iou():
    near = [0.0, 0.0, 100.0, 150.0]  # IoU 0.75 with the target: a candidate
    gallery = [_img('a', [(TARGET, 0.2), (near, 0.9)], [(TARGET, 1)]),
               _img('b', [([300.0, 0.0, 400.0, 200.0], 0.5)], [])]
    q = dict(img_id='q', bbox=TARGET, person_id=1, feat=np.array([1.0, 0.0]))
    res = eval_person_search(gallery, [q], topk=(1, 2))
    # ranking: a/near (0.9, positive: first candidate by similarity), b (0.5), a/exact (0.2,
    # negative although its IoU is 1)
    assert res['mAP'] == pytest.approx(1.0) and res['top1'] == 1.0
    # near below the IoU threshold: the exact box becomes the match, ranked third -> AP 1/3
    far = [0.0, 120.0, 100.0, 320.0]
    gallery[0] = _img('a', [(TARGET, 0.2), (far, 0.9)], [(TARGET, 1)])
    res = eval_person_search(gallery, [q], topk=(1, 2))
    assert res['mAP'] == pytest.approx(1 / 3) and res['top1'] == 0.0 and res['top2'] == 0.0


def test_metric_evaluate_keeps_every_sample():
    """``BaseMetric.evaluate(size)`` keeps ``size`` results: one result per data sample."""
    metric = PersonSearchMetric()
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    samples = [
        dict(img_path='/d/q.jpg',
             pred_instances=dict(bboxes=torch.zeros(0, 4), scores=torch.zeros(0),
                                 reid_feats=torch.zeros(0, 2)),
             gt_instances=dict(bboxes=torch.tensor([TARGET]), person_ids=torch.tensor([1])),
             queries=[dict(bbox=TARGET, person_id=1, query_id=0, gallery=None)],
             query_feats=feats[:1]),
        dict(img_path='/d/a.jpg',
             pred_instances=dict(bboxes=torch.tensor([TARGET, [300., 0., 400., 200.]]),
                                 scores=torch.tensor([0.9, 0.9]), reid_feats=feats.flip(0)),
             gt_instances=dict(bboxes=torch.tensor([TARGET]), person_ids=torch.tensor([1])))]
    metric.process({}, samples)
    out = metric.evaluate(size=len(samples))
    # the target in a is ranked second (similarity 0 vs 1): AP 1/2, top-1 miss
    assert out['person_search/mAP'] == pytest.approx(0.5)
    assert out['person_search/top1'] == 0.0 and out['person_search/top5'] == 1.0


def test_query_chunks_give_the_same_result(monkeypatch):
    import mmped.evaluation.functional.person_search as ps
    rng = np.random.default_rng(1)
    gallery = []
    for i in range(6):
        xy = rng.uniform(0, 50, (4, 2))
        boxes = np.c_[xy, xy + 40.0]
        feats = rng.standard_normal((4, 8)).astype(np.float32)
        gallery.append(dict(img_id=i, bboxes=boxes, scores=rng.uniform(0.3, 1.0, 4),
                            feats=feats / np.linalg.norm(feats, axis=1, keepdims=True),
                            gt_bboxes=boxes[:2], gt_person_ids=np.array([i % 3, 5])))
    queries = [dict(img_id=j, bbox=gallery[j]['gt_bboxes'][0], person_id=j % 3,
                    feat=gallery[j]['feats'][0]) for j in range(6)]
    whole = eval_person_search(gallery, queries)
    monkeypatch.setattr(ps, '_SIM_BLOCK_ELEMENTS', 30)  # 30 // 24 detections: 1 query a block
    chunked = eval_person_search(gallery, queries)
    np.testing.assert_allclose(chunked['ap'], whole['ap'], atol=1e-6)
    np.testing.assert_array_equal(chunked['topk_hits'], whole['topk_hits'])
    assert whole['ap'].max() > 0
