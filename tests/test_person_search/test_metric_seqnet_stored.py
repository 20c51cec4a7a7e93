# Copyright (c) mmped contributors. All rights reserved.
"""mmped's person-search numbers against SeqNet's stored answers (no SeqNet needed).

SeqNet's ``eval_func.py`` answered the seeded cases of :mod:`seqnet_cases` once (detection
recall / AP with mutual-best matching, ``labeled_only`` and score thresholds; CUHK-SYSU search
over TestG galleries that repeat images; PRW search, cross-camera or not); the answers are in
``tests/data/reference/seqnet_eval.json``. ``test_metric_vs_seqnet.py`` re-checks them.
"""
import pytest

from .seqnet_cases import CASES, case_id, load_reference, mmped_answer


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_equals_stored_seqnet_answer(case):
    ref, ours = load_reference()[case_id(case)], mmped_answer(case)
    assert ours.keys() == ref.keys()
    for key, value in ref.items():
        assert ours[key] == pytest.approx(value, abs=1e-12), key


def test_stored_answers_are_not_trivial():
    """The cases reach hits and misses: search mAP strictly between 0 and 1, top-1 hits in
    most search cases, detection recall varying from case to case."""
    answers = load_reference()
    assert len(answers) == len(CASES) == 36
    maps = [a['mAP'] for a in answers.values() if 'mAP' in a]
    recalls = [a['recall'] for a in answers.values() if 'recall' in a]
    top1 = [a['accs'][0] for a in answers.values() if 'accs' in a]
    assert 0 < min(maps) and max(maps) < 1 and min(recalls) < max(recalls)
    assert sum(t > 0 for t in top1) >= 10
