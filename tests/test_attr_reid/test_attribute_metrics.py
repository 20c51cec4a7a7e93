# Copyright (c) mmped contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from mmped.evaluation import AttributeMetric, WIDERAttributeMetric
from mmped.evaluation.functional import eval_attributes, eval_wider_attribute_map

GT = np.array([[1, 0, 1], [0, 1, 0]])
PROBS = np.array([[0.9, 0.2, 0.4], [0.6, 0.7, 0.1]])


def test_eval_attributes_hand_worked():
    res = eval_attributes(GT, PROBS)
    # per attribute (TP/P + TN/N) / 2: attr0 (1 + 0) / 2, attr1 (1 + 1) / 2, attr2 (0 + 1) / 2
    np.testing.assert_allclose(res['label_ma'], [0.5, 1.0, 0.5])
    assert res['mA'] == pytest.approx(2 / 3)
    # row0 Y={0,2} Y^={0}: acc 1/2 prec 1 rec 1/2; row1 Y={1} Y^={0,1}: acc 1/2 prec 1/2 rec 1
    assert res['accuracy'] == pytest.approx(0.5)
    assert res['precision'] == pytest.approx(0.75)
    assert res['recall'] == pytest.approx(0.75)
    # F1 from the mean precision / recall (0.75), not the mean of per-sample F1 (2/3)
    assert res['f1'] == pytest.approx(0.75)


def test_eval_attributes_never_predicted_and_empty_prediction():
    gt = np.array([[1, 1], [0, 1], [1, 0]])
    probs = np.array([[0.9, 0.1], [0.1, 0.2], [0.1, 0.3]])  # attribute 1 never predicted
    res = eval_attributes(gt, probs)
    np.testing.assert_allclose(res['label_pos_recall'], [0.5, 0.0])
    np.testing.assert_allclose(res['label_neg_recall'], [1.0, 1.0])
    # rows 1 and 2 predict nothing: precision 0 there (eps denominator), not NaN
    np.testing.assert_allclose(res['instance_prec'], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(res['instance_recall'], [0.5, 0.0, 0.0])
    assert res['precision'] == pytest.approx(1 / 3)


def test_eval_attributes_threshold_is_strict():
    res = eval_attributes(np.array([[1]]), np.array([[0.5]]))
    assert res['label_pos_recall'][0] == 0.0


def test_eval_attributes_ignore_value():
    gt = GT.copy()
    gt[0, 2] = -1  # uncertain: removed from attribute 2 and from sample 0
    res = eval_attributes(gt, PROBS, ignore_value=-1)
    np.testing.assert_allclose(res['label_pos_count'], [1, 1, 0])
    np.testing.assert_allclose(res['label_neg_recall'], [0.0, 1.0, 1.0])
    # row0 now Y={0} Y^={0}
    np.testing.assert_allclose(res['instance_acc'], [1.0, 0.5])
    with pytest.raises(ValueError, match='neither 0, 1'):
        eval_attributes(gt, PROBS)


def test_eval_wider_attribute_map():
    gt = np.array([[1, 1], [0, 0], [1, -1], [-1, 1]])
    scores = np.array([[0.9, 0.5], [0.8, 0.5], [0.1, 0.99], [0.95, 0.1]])
    res = eval_wider_attribute_map(gt, scores, ignore_value=-1)
    # attr0 after removing row3: 0.9(+) 0.8(-) 0.1(+) -> 1/2 * 1 + 1/2 * 2/3
    assert res['ap'][0] == pytest.approx(0.5 + 1 / 3)
    # attr1 after removing row2: 0.5(+) 0.5(-) tie = one threshold (P 1/2, R 1/2), 0.1(+)
    assert res['ap'][1] == pytest.approx(0.5 * 0.5 + 0.5 * 2 / 3)
    assert res['mAP'] == pytest.approx(np.mean(res['ap']))
    none = eval_wider_attribute_map(np.array([[0], [0]]), np.array([[0.1], [0.2]]))
    assert np.isnan(none['ap'][0])


def _samples(gt, probs, valid=None):
    out = []
    for i in range(len(gt)):
        ds = DataSample().set_gt_score(torch.tensor(gt[i], dtype=torch.float32))
        ds.set_pred_score(torch.tensor(probs[i], dtype=torch.float32))
        if valid is not None:
            ds.set_field(valid[i], 'gt_valid')
        out.append(ds.to_dict())
    return out


def test_attribute_metric_matches_functional():
    metric = AttributeMetric(per_attribute=True)
    metric.dataset_meta = dict(classes=('a', 'b', 'c'))
    metric.process({}, _samples(GT, PROBS))
    res = metric.evaluate(2)
    assert res['attr/mA'] == pytest.approx(100 * 2 / 3)
    assert res['attr/f1'] == pytest.approx(75.0)
    assert res['attr/ma_b'] == pytest.approx(100.0)


def test_wider_metric_uses_valid_mask():
    valid = np.array([[True, True], [True, True], [True, False], [False, True]])
    gt = np.array([[1, 1], [0, 0], [1, 0], [0, 1]])
    scores = np.array([[0.9, 0.5], [0.8, 0.5], [0.1, 0.99], [0.95, 0.1]])
    metric = WIDERAttributeMetric()
    metric.process({}, _samples(gt, scores, valid))
    res = metric.evaluate(4)
    assert res['wider_attr/AP_attr0'] == pytest.approx(100 * (0.5 + 1 / 3))
