# Copyright (c) mmped contributors. All rights reserved.
"""MOTChallenge devkit (``preprocessResult.m`` / ``evaluateDetection.m``) and KITTI devkit
(``evaluate_object.cpp``) behaviours on hand-built files.

Each test writes the reference rule it pins in its docstring.
"""
import numpy as np
import pytest

from mmped.datasets.parsers import parse_mot
from mmped.evaluation.functional import eval_mot17det_ap


def _gt_txt(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(','.join(str(v) for v in r) + '\n' for r in rows))
    return path


def test_mot_cleaning_sees_every_gt_class(tmp_path):
    """``preprocessResult.m`` assigns detections to ALL gt.txt rows of a frame (Hungarian on
    1 - IoU, pairs with IoU < 0.5 forbidden) and removes only those assigned to an ambiguous
    row (person on vehicle 2, static person 7, distractor 8, reflection 12). A car (3) takes
    part: the detection it takes stays and is a false positive; when a car and a distractor
    compete for one detection (here the car overlaps it more), the car can win it."""
    gt = _gt_txt(tmp_path / 'SEQ' / 'gt' / 'gt.txt', [
        (1, 1, 10, 10, 40, 100, 1, 1, 1.0),      # pedestrian
        (1, 2, 200, 10, 40, 100, 1, 3, 1.0),     # car
        (1, 3, 400, 10, 40, 100, 1, 8, 1.0),     # distractor
        (1, 4, 600, 10, 40, 100, 1, 3, 1.0),     # car ...
        (1, 5, 604, 10, 40, 100, 1, 8, 1.0)])    # ... and distractor on the same spot
    recs = parse_mot(gt, keep_all_classes=True)
    assert [i['mot_class'] for i in recs[0]['instances']] == [1, 3, 8, 3, 8]
    assert [i['mot_class'] for i in parse_mot(gt)[0]['instances']] == [1, 8, 8]  # training
    dets = {'SEQ/000001': (np.array([[10, 10, 40, 100], [200, 10, 40, 100],
                                     [400, 10, 40, 100], [601, 10, 40, 100]], float),
                           np.array([0.9, 0.8, 0.7, 0.6]))}
    res = eval_mot17det_ap(recs, dets)
    # kept: the hit, the detection on the car (FP) and the one the car wins (FP); removed:
    # the detection on the lone distractor
    assert res['tp'] == 1 and res['fp'] == 2 and res['num_gt'] == 1
    # without the vehicle rows the distractor takes the contested detection: 1 FP only
    assert eval_mot17det_ap(parse_mot(gt), dets)['fp'] == 1
