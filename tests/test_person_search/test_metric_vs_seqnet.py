# Copyright (c) mmped contributors. All rights reserved.
"""mmped's person-search evaluation against SeqNet's own ``eval_func.py`` on generated cases.

Runs only when the reference is available: ``MMPED_SEQNET_ROOT`` names a checkout of
https://github.com/serend1p1ty/SeqNet (never vendored here) and scikit-learn, scipy, tabulate
and torch import. The reference's rules (mutual-best detection matching, ``labeled_only``,
first-entry scoring of repeated TestG images with every entry in the recall denominator, the
relaxed IoU of small targets, recall-scaled AP) are written out in
``test_metric_reference.py``; here the numbers of both implementations must agree, on the
cases of :mod:`seqnet_cases` (whose answers ``test_metric_seqnet_stored.py`` also checks where
SeqNet is absent).
"""
import os
from pathlib import Path

import pytest

from .seqnet_cases import CASES, case_id, load_reference, mmped_answer, seqnet_answer, seqnet_module

ROOT = os.environ.get('MMPED_SEQNET_ROOT')
pytestmark = pytest.mark.skipif(
    not ROOT or not (Path(ROOT) / 'eval_func.py').is_file(),
    reason='SeqNet reference checkout absent (set MMPED_SEQNET_ROOT)')


@pytest.fixture(scope='module')
def seqnet():
    pytest.importorskip('sklearn')
    pytest.importorskip('tabulate')
    with seqnet_module(ROOT) as module:
        yield module


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_equals_seqnet(seqnet, case):
    """Detection recall / AP (both ``labeled_only`` settings, two score thresholds), CUHK-SYSU
    search with repeated gallery images, PRW search with and without cross-camera queries."""
    ref, ours = seqnet_answer(seqnet, case), mmped_answer(case)
    assert ours.keys() == ref.keys()
    for key, value in ref.items():
        assert ours[key] == pytest.approx(value, abs=1e-12), key


def test_stored_reference_is_seqnets(seqnet):
    """``tests/data/reference/seqnet_eval.json`` is what SeqNet answers now."""
    stored = load_reference()
    assert sorted(stored) == sorted(case_id(c) for c in CASES)
    for case in CASES:
        ref = seqnet_answer(seqnet, case)
        for key, value in ref.items():
            assert stored[case_id(case)][key] == pytest.approx(value, abs=1e-15), case
