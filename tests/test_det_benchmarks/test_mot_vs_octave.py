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
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mmped.datasets.parsers import parse_mot
from mmped.evaluation.functional import eval_mot17det_ap
from mmped.evaluation.functional.mot_ap import devkit_hungarian

DEVKIT = os.environ.get('MMPED_MOTCHALLENGE_DEVKIT')
pytestmark = pytest.mark.skipif(
    shutil.which('octave') is None or not DEVKIT
    or not (Path(DEVKIT) / 'utils' / 'Hungarian.m').is_file(),
    reason='GNU Octave or the MOTChallenge devkit (MMPED_MOTCHALLENGE_DEVKIT) absent')


def _octave(script: str) -> str:
    return subprocess.run(['octave', '--no-gui', '-q', '--eval', script], capture_output=True,
                          text=True, timeout=300).stdout


def _matlab(m: np.ndarray) -> str:
    return '[' + ';'.join(' '.join('Inf' if np.isinf(v) else repr(float(v)) for v in row)
                          for row in m) + ']'


def test_hungarian_equals_the_devkit(tmp_path):
    """``Hungarian.m`` and :func:`devkit_hungarian` give the same matching on 150 matrices
    of 1 - 8 rows and columns whose costs repeat (ties) or are ``Inf``."""
    rng = np.random.default_rng(0)
    cases = []
    for k in range(150):
        m, n = (int(v) for v in rng.integers(1, 9, 2))
        if k % 2:
            c = rng.choice([0.0, 0.1, 0.25, 1 / 3, 0.5, np.inf, np.inf, np.inf], size=(m, n))
        else:
            c = np.where(rng.random((m, n)) < 0.5, np.inf, np.round(rng.random((m, n)) / 2, 3))
        cases.append(c)
    script = f"addpath('{DEVKIT}/utils');" + ''.join(
        f"M=Hungarian({_matlab(c)}); fprintf('%d ', M(:)'); fprintf('\\n');" for c in cases)
    out = _octave(script).splitlines()
    assert len(out) == len(cases)
    for c, line in zip(cases, out):
        ref = np.array(line.split(), dtype=int).reshape(c.shape[::-1]).T.astype(bool)
        np.testing.assert_array_equal(devkit_hungarian(c), ref, err_msg=str(c))


def _sequence(root: Path, seed: int, frames: int = 6, n: int = 10, m: int = 12):
    """A MOT17 sequence folder and a result file, tie-prone, in the devkit's formats."""
    rng = np.random.default_rng(seed)
    name = f'MOT17-{seed:02d}'
    seq = root / name
    (seq / 'gt').mkdir(parents=True)
    (seq / 'seqinfo.ini').write_text(
        f'[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength={frames}\n'
        'imWidth=640\nimHeight=480\nimExt=.jpg\n')
    rows, dets = [], []
    for f in range(1, frames + 1):
        xy, wh = rng.integers(0, 200, (n, 2)), rng.integers(10, 40, (n, 2))
        for k in range(1, n, 3):  # rows on (nearly) the same spot as the one before
            xy[k], wh[k] = xy[k - 1] + rng.integers(-2, 3, 2), wh[k - 1]
        cls = rng.choice([1, 1, 1, 2, 3, 7, 8, 12, 4, 9], size=n)
        vis = rng.choice([1.0, 0.8, 0.5, 0.3, 0.0], size=n)
        for k in range(n):
            rows.append((f, k + 1, *xy[k], *wh[k], int(cls[k] in (1, 2, 7)), int(cls[k]),
                         float(vis[k])))
        for _ in range(m):
            g, kind = rng.integers(n), rng.integers(4)
            if kind == 0:  # a GT box copied
                box = np.r_[xy[g], wh[g]].astype(float)
            elif kind == 1:  # shifted by whole pixels
                box = np.r_[xy[g] + rng.integers(-3, 4, 2), wh[g]].astype(float)
            elif kind == 2:  # 2-decimal noise
                box = np.r_[xy[g] + np.round(rng.normal(0, 3, 2), 2),
                            wh[g] * np.round(rng.uniform(.8, 1.2, 2), 2)]
            else:  # a stray
                box = np.r_[rng.uniform(0, 200, 2).round(2), rng.uniform(10, 40, 2).round(2)]
            score = float(rng.choice([.9, .8, .5])) if rng.random() < .3 \
                else round(float(rng.random()), 4)
            dets.append((f, -1, *box, score, -1, -1, -1))
    rows.sort(key=lambda r: (r[1], r[0]))  # gt.txt order: by track, then frame
    (seq / 'gt' / 'gt.txt').write_text(''.join(','.join(map(str, r)) + '\n' for r in rows))
    res = root / 'res' / f'{name}.txt'
    res.parent.mkdir(exist_ok=True)
    res.write_text(''.join(','.join(map(str, r)) + '\n' for r in dets))
    return seq, res, np.array(dets, dtype=np.float64)


@pytest.mark.parametrize('seed', range(3))
def test_mot17det_ap_equals_evaluate_detection(tmp_path, seed):
    """``evaluateDetection.m`` (cleaning, bbGt ``evalRes`` / ``compRoc``) and
    :func:`eval_mot17det_ap` give the same AP, TP and FP on a generated sequence."""
    seq, res, dets = _sequence(tmp_path, seed)
    out = _octave(f"cd('{DEVKIT}'); r = evaluateDetection('{seq.name}', '{res}', "
                  f"'{seq}/gt/gt.txt', '{seq}', 'MOT17');"
                  "fprintf('RESULT %.17g %d %d\\n', mean(r.refprcn), r.tp, r.fp);")
    found = re.findall(r'RESULT (\S+) (\d+) (\d+)', out)
    assert found, out[-2000:]
    ap, tp, fp = float(found[0][0]), int(found[0][1]), int(found[0][2])
    frames = sorted(set(dets[:, 0].astype(int).tolist()))
    det_images = {f'{seq.name}/{f:06d}': (dets[dets[:, 0] == f, 2:6], dets[dets[:, 0] == f, 6])
                  for f in frames}
    ours = eval_mot17det_ap(parse_mot(seq / 'gt' / 'gt.txt', keep_all_classes=True),
                            det_images)
    assert (ours['tp'], ours['fp']) == (tp, fp)
    assert ours['AP'] == pytest.approx(ap * 100, abs=1e-9)
