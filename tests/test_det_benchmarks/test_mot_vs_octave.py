# Copyright (c) mmped contributors. All rights reserved.
"""mmped's MOT17Det evaluation against the MOTChallenge devkit run by GNU Octave.

Runs only when ``octave`` is on PATH and ``MMPED_MOTCHALLENGE_DEVKIT`` names the
``matlab_devkit`` folder of https://github.com/dendorferpatrick/MOTChallengeEvalKit
(``evaluateDetection.m``, ``utils/preprocessResult.m``, ``utils/Hungarian.m``; never
vendored). The rules are written out in ``test_mot_devkit_ties.py``; here generated cases,
with ties on purpose (boxes copied from GT rows, rows on the same spot, repeated scores),
must give the devkit's matching and the devkit's AP, TP and FP.
"""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from mmped.datasets.parsers import parse_mot
from mmped.evaluation.functional import eval_mot17det_ap
from mmped.evaluation.functional.mot_ap import devkit_hungarian

from .mot_devkit_cases import (
    det_images_of,
    devkit_answers,
    devkit_detection,
    devkit_matchings,
    hungarian_cases,
    load_reference,
    write_sequence,
)

DEVKIT = os.environ.get('MMPED_MOTCHALLENGE_DEVKIT')
pytestmark = pytest.mark.skipif(
    shutil.which('octave') is None or not DEVKIT
    or not (Path(DEVKIT) / 'utils' / 'Hungarian.m').is_file(),
    reason='GNU Octave or the MOTChallenge devkit (MMPED_MOTCHALLENGE_DEVKIT) absent')


def test_hungarian_equals_the_devkit():
    """``Hungarian.m`` and :func:`devkit_hungarian` give the same matching on 210 matrices
    of 1 - 8 rows and columns, costs repeated (ties), distinct or ``Inf``."""
    cases = hungarian_cases()
    for c, ref in zip(cases, devkit_matchings(DEVKIT, cases)):
        np.testing.assert_array_equal(devkit_hungarian(c), ref, err_msg=str(c))


def test_stored_reference_is_the_devkits(tmp_path):
    """``tests/data/reference/mot_devkit.json`` (what ``test_mot_devkit_stored.py`` compares
    with where Octave is absent) is what the devkit answers now."""
    now = devkit_answers(DEVKIT, tmp_path)
    stored = load_reference()
    assert now['hungarian'] == stored['hungarian']
    assert now['sequences'] == stored['sequences']


@pytest.mark.parametrize('seed', range(3))
def test_mot17det_ap_equals_evaluate_detection(tmp_path, seed):
    """``evaluateDetection.m`` (cleaning, bbGt ``evalRes`` / ``compRoc``) and
    :func:`eval_mot17det_ap` give the same AP, TP and FP on a generated sequence."""
    seq, res, dets = write_sequence(tmp_path, seed)
    ap, tp, fp = devkit_detection(DEVKIT, seq, res)
    det_images = det_images_of(seq.name, dets)
    ours = eval_mot17det_ap(parse_mot(seq / 'gt' / 'gt.txt', keep_all_classes=True),
                            det_images)
    assert (ours['tp'], ours['fp']) == (tp, fp)
    assert ours['AP'] == pytest.approx(ap * 100, abs=1e-9)
