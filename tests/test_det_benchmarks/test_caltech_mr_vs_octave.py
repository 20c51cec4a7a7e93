# Copyright (c) mmped contributors. All rights reserved.
"""``eval_mr --protocol caltech_new`` against the new-annotation ``dbEval`` pipeline run by
GNU Octave with the toolbox's ``bbGt`` (``bbLoad``, ``bbApply('resize')`` of non-ignored GT
to 0.41, detections filtered to ``[hr(1)/1.25, hr(2)*1.25)`` and not resized,
``evalRes`` at 0.5, ``compRoc`` sampled at ``10.^(-2:.25:0)``, log-average).

Runs only when ``octave`` is on PATH and ``MMPED_PDOLLAR_TOOLBOX`` names a pdollar toolbox
checkout with ``detector/bbGt.m``, ``detector/bbApply.m`` and ``matlab/getPrmDflt.m``.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from .test_parsers_tools import run_tool

TOOLBOX = os.environ.get('MMPED_PDOLLAR_TOOLBOX')
pytestmark = pytest.mark.skipif(
    shutil.which('octave') is None or not TOOLBOX
    or not (Path(TOOLBOX) / 'detector' / 'bbApply.m').is_file(),
    reason='GNU Octave or the pdollar toolbox (MMPED_PDOLLAR_TOOLBOX) absent')

def _frame(rng, n=8):
    """Mostly reasonable people inside the image, some occluded, other labels mixed in."""
    rows = []
    for _ in range(n):
        h = int(rng.integers(30, 150))
        w = int(round(h * rng.uniform(0.3, 0.5)))
        x, y = int(rng.integers(10, 560)), int(rng.integers(10, 470 - h))
        occ = int(rng.random() < 0.4)
        vis = [x, y, w, int(h * rng.uniform(0.15, 1.0))] if occ else [0, 0, 0, 0]
        lbl = str(rng.choice(['person'] * 5 + ['person?', 'people', 'ignore', 'person-fa']))
        rows.append((lbl, [x, y, w, h], occ, vis))
    return rows


SETUPS = {'Reasonable': ([50, 'inf'], [.65, 'inf']), 'Heavy': ([50, 'inf'], [.2, .65])}


@pytest.mark.parametrize('seed', range(2))
def test_caltech_new_mr_equals_octave_dbeval(tmp_path, seed):
    rng = np.random.default_rng(seed)
    ann = tmp_path / 'anno'
    ann.mkdir()
    frames = [29 + 30 * k for k in range(10)]
    det_rows = []
    for f in frames:
        rows = _frame(rng)
        (ann / f'set06_V000_I{f:05d}.txt').write_text('% bbGt version=3\n' + ''.join(
            f'{lbl} {" ".join(map(str, box))} {occ} {" ".join(map(str, vis))} 0 0\n'
            for lbl, box, occ, vis in rows))
        for _, (x, y, w, h), _, _ in rows:  # jittered 0.41-aspect detections, plus strays
            if rng.random() < 0.75:
                cx = x + w / 2 + rng.normal(0, 2)
                hh = h * rng.uniform(0.9, 1.1)
                b = np.round([cx - 0.205 * hh, y + rng.normal(0, 2), 0.41 * hh, hh], 2)
                det_rows.append((f + 1, *b, round(float(rng.random()), 4)))
        for _ in range(3):
            det_rows.append((f + 1, *np.round(rng.uniform(0, 500, 2), 2),
                             *np.round(rng.uniform(20, 60, 1), 2),
                             *np.round(rng.uniform(50, 150, 1), 2),
                             round(float(rng.random()), 4)))
    res = tmp_path / 'res' / 'set06'
    res.mkdir(parents=True)
    (res / 'V000.txt').write_text(''.join(','.join(str(v) for v in r) + '\n' for r in det_rows))
    out = tmp_path / 'mr.json'
    code, msg = run_tool('tools/analysis/eval_mr.py', ann, tmp_path / 'res', '--protocol',
                         'caltech_new', '--setups', *SETUPS, '--out', out)
    assert code == 0, msg
    ours = json.loads(out.read_text())
    for setup, (hr, vr) in SETUPS.items():
        script = (
            f"addpath('{TOOLBOX}/detector'); addpath('{TOOLBOX}/matlab');"
            f"fr=[{' '.join(map(str, frames))}]; n=numel(fr); gt=cell(1,n); dt=cell(1,n);"
            f"bbs=dlmread('{res}/V000.txt'); hr=[{hr[0]} {hr[1]}];"
            "for k=1:n,"
            f" [~,b]=bbGt('bbLoad',sprintf('{ann}/set06_V000_I%05d.txt',fr(k)),"
            "'lbls',{'person','person?','people','ignore'},'ilbls',{'ignore'},"
            f"'hRng',hr,'vRng',[{vr[0]} {vr[1]}],'xRng',[5 635],'yRng',[5 475]);"
            " ids=b(:,5)~=1; b(ids,:)=bbApply('resize',b(ids,:),1,0,.41); gt{k}=b;"
            " d=bbs(bbs(:,1)==fr(k)+1,2:6); h=hr.*[1/1.25 1.25];"
            " dt{k}=d(d(:,4)>=h(1) & d(:,4)<h(2),:);"
            "end;"
            "[gtr,dtr]=bbGt('evalRes',gt,dt,.5);"
            "[~,~,~,s]=bbGt('compRoc',gtr,dtr,1,10.^(-2:.25:0));"
            "fprintf('MR %.10f\\n', exp(mean(log(1-s)))*100);")
        proc = subprocess.run(['octave', '--no-gui', '-q', '--eval', script],
                              capture_output=True, text=True, timeout=120)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith('MR ')]
        assert line, proc.stdout + proc.stderr
        ref = float(line[0].split()[1])
        assert 0 < ref < 100  # a non-trivial curve
        assert ours[setup] == pytest.approx(ref, abs=1e-6), setup
