# Copyright (c) mmped contributors. All rights reserved.
"""mmped's MOT17Det evaluation against the MOTChallenge devkit's stored answers.

The devkit (``Hungarian.m``, ``evaluateDetection.m``, run by GNU Octave) answered the seeded
cases of :mod:`mot_devkit_cases` once; its answers are in
``tests/data/reference/mot_devkit.json`` (see that module for how they are written and
re-checked). Here they are compared with mmped wherever the suite runs, Octave or not.
"""
import numpy as np
import pytest

from mmped.datasets.parsers import parse_mot
from mmped.evaluation.functional import eval_mot17det_ap
from mmped.evaluation.functional.mot_ap import devkit_hungarian

from .mot_devkit_cases import (
    SEQUENCE_SEEDS,
    det_images_of,
    hungarian_cases,
    load_reference,
    sequence_kwargs,
    write_sequence,
)


def test_hungarian_matches_the_devkit_on_every_stored_case():
    """210 matrices: ties and ``Inf`` patterns (the devkit's row-major tie order and its
    deficiency padding decide) and distinct finite costs (augmenting paths, dual updates)."""
    cases, stored = hungarian_cases(), load_reference()['hungarian']
    assert len(stored) == len(cases) == 210
    for k, (cost, ref) in enumerate(zip(cases, stored)):
        np.testing.assert_array_equal(devkit_hungarian(cost), np.array(ref, dtype=bool),
                                      err_msg=f'case {k}: {cost}')


@pytest.mark.parametrize('seed', SEQUENCE_SEEDS)
def test_mot17det_ap_tp_fp_match_evaluate_detection(tmp_path, seed):
    """AP, TP and FP of ``evaluateDetection.m`` on a generated sequence (cleaning with
    ambiguous and low-visibility rows, tied scores, boxes copied from GT rows)."""
    ref = load_reference()['sequences'][str(seed)]
    seq, _, dets = write_sequence(tmp_path, seed, **sequence_kwargs(seed))
    ours = eval_mot17det_ap(parse_mot(seq / 'gt' / 'gt.txt', keep_all_classes=True),
                            det_images_of(seq.name, dets))
    assert (ours['tp'], ours['fp']) == (ref['tp'], ref['fp'])
    assert ours['AP'] == pytest.approx(ref['ap'] * 100, abs=1e-9)
