# Copyright (c) mmped contributors. All rights reserved.
"""Metrics fed mmdet box structures (``HorizontalBoxes``), as mmdet heads and data samples
carry them: the same numbers as with plain tensors."""
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes

from mmped.evaluation.metrics import MOT17DetMetric
from mmped.evaluation.metrics.kitti_metric import KITTIPedestrianMetric
from mmped.evaluation.metrics.miss_rate_metric import MissRateMetric
from mmped.evaluation.metrics.person_search_metric import PersonSearchMetric
from mmped.evaluation.metrics.utils import to_numpy

TARGET = [0.0, 0.0, 100.0, 200.0]
OTHER = [300.0, 0.0, 400.0, 200.0]


def _search_samples(boxes):
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    return [
        dict(img_path='/d/q.jpg', scale_factor=(2.0, 2.0),
             pred_instances=dict(bboxes=boxes(torch.zeros(0, 4)), scores=torch.zeros(0),
                                 reid_feats=torch.zeros(0, 2)),
             gt_instances=dict(bboxes=boxes(torch.tensor([TARGET])),
                               person_ids=torch.tensor([1])),
             queries=[dict(bbox=torch.tensor(TARGET), person_id=1, query_id=0,
                           gallery=['a.jpg'])],
             query_feats=feats[:1]),
        dict(img_path='/d/a.jpg', scale_factor=(2.0, 2.0),
             pred_instances=dict(bboxes=boxes(torch.tensor([TARGET, OTHER])),
                                 scores=torch.tensor([0.9, 0.9]), reid_feats=feats),
             gt_instances=dict(bboxes=boxes(torch.tensor([TARGET])),
                               person_ids=torch.tensor([1])))]


def test_to_numpy_reads_box_structures_and_tensors():
    boxes = HorizontalBoxes(torch.tensor([TARGET, OTHER]))
    np.testing.assert_array_equal(to_numpy(boxes), np.array([TARGET, OTHER], np.float32))
    assert to_numpy(boxes, np.float64).dtype == np.float64
    assert to_numpy(torch.tensor([1, 2])).tolist() == [1, 2]
    assert to_numpy([0.5]).tolist() == [0.5]


def test_person_search_metric_takes_horizontal_boxes():
    """Predicted and GT boxes as ``HorizontalBoxes``, the query box a tensor: mAP 1, top-1 1,
    detection recall 1/2 (the query image's person is not detected) and AP 0.5 x 1/2 (a tied
    false positive in a.jpg), exactly as with tensors."""
    out = {}
    for name, boxes in (('tensor', lambda t: t), ('boxes', HorizontalBoxes)):
        metric = PersonSearchMetric()
        metric.process({}, _search_samples(boxes))
        out[name] = metric.compute_metrics(metric.results)
    assert out['boxes']['mAP'] == pytest.approx(1.0) and out['boxes']['top1'] == 1.0
    assert out['boxes']['det_recall'] == pytest.approx(0.5)
    assert out['boxes']['det_ap'] == pytest.approx(0.25)
    assert out['boxes'] == out['tensor']


def _det_sample(boxes):
    return dict(img_id='SEQ/000001', instances=[], pred_instances=dict(
        bboxes=boxes, scores=torch.tensor([0.9, 0.8]), labels=torch.tensor([0, 0])))


@pytest.mark.parametrize('metric', [MOT17DetMetric, KITTIPedestrianMetric, MissRateMetric])
def test_detection_metrics_take_horizontal_boxes(metric):
    """The detection metrics store the same boxes from ``HorizontalBoxes`` as from a tensor."""
    plain, boxed = metric(), metric()
    plain.process({}, [_det_sample(torch.tensor([TARGET, OTHER]))])
    boxed.process({}, [_det_sample(HorizontalBoxes(torch.tensor([TARGET, OTHER])))])
    assert len(boxed.results) == len(plain.results) == 1
    for key, value in plain.results[0].items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(boxed.results[0][key], value, err_msg=key)
