# Copyright (c) mmped contributors. All rights reserved.
"""mmped's KITTI pedestrian AP against the KITTI object devkit's stored answers.

The devkit (``evaluate_object.cpp``, 2D boxes) answered the seeded cases of
:mod:`kitti_devkit_cases` once: boundary heights (25 / 40), truncations (0.15 / 0.3 / 0.5) and
occlusions, ``Person_sitting``, other classes, ``DontCare`` areas with detections on them,
doubled and small detections, repeated scores. Its 41-point precision curves are stored in
``tests/data/reference/kitti_devkit.json``; mmped must give the same AP|R11 and AP|R40 per
difficulty (to the devkit's six printed decimals). With ``MMPED_KITTI_DEVKIT`` naming the
compiled devkit, the stored curves are checked against a fresh run too.
"""
import os

import pytest

from mmped.datasets.parsers import load_kitti_results, parse_kitti
from mmped.evaluation.functional import eval_kitti_pedestrian_ap

from .kitti_devkit_cases import (
    DIFFICULTIES,
    SEEDS,
    ap_of,
    devkit_precision,
    load_reference,
    write_case,
)

DEVKIT = os.environ.get('MMPED_KITTI_DEVKIT')


@pytest.mark.parametrize('seed', SEEDS)
def test_kitti_ap_equals_the_devkits_curves(tmp_path, seed):
    write_case(tmp_path, seed)
    gt = parse_kitti(tmp_path / 'label_2')
    ours = eval_kitti_pedestrian_ap(gt, load_kitti_results(tmp_path / 'results', gt))
    curves = load_reference()[str(seed)]
    for name in DIFFICULTIES:
        ref = ap_of(curves[name])
        # six decimals per precision: at most 5e-7 * 100 off in percent
        assert ours[f'{name}_R11'] == pytest.approx(ref['R11'], abs=1e-4), name
        assert ours[f'{name}_R40'] == pytest.approx(ref['R40'], abs=1e-4), name


@pytest.mark.skipif(not DEVKIT, reason='compiled KITTI devkit absent (MMPED_KITTI_DEVKIT)')
def test_kitti_stored_reference_is_the_devkits():
    stored = load_reference()
    for seed in SEEDS:
        assert devkit_precision(DEVKIT, seed) == stored[str(seed)], seed
