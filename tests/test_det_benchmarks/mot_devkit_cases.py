# Copyright (c) mmped contributors. All rights reserved.
"""Generated MOT17Det cases and the MOTChallenge devkit's answers to them.

The same seeded cases feed two tests: ``test_mot_vs_octave.py`` runs the devkit
(``Hungarian.m``, ``evaluateDetection.m``) under GNU Octave when it is installed, and
``test_mot_devkit_stored.py`` compares mmped with the devkit's answers stored in
``tests/data/reference/mot_devkit.json``, so that the comparison also runs where Octave is
absent (CI, the mutation check). The stored file holds only the devkit's outputs (matchings
as 0 / 1 lists, AP, TP, FP), written by::

    MMPED_MOTCHALLENGE_DEVKIT=/path/to/matlab_devkit \\
        python tests/test_det_benchmarks/mot_devkit_cases.py --write

``test_mot_vs_octave.py::test_stored_reference_is_the_devkits`` checks it again whenever
Octave and the devkit are present.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

REFERENCE = Path(__file__).resolve().parents[1] / 'data' / 'reference' / 'mot_devkit.json'
#: seeds of the stored sequences (``write_sequence``); 0-2 also run against Octave directly
SEQUENCE_SEEDS = tuple(range(12))


def hungarian_cases() -> List[np.ndarray]:
    """Cost matrices of 1-8 rows and columns: 150 with repeated costs (ties) and ``Inf``
    entries, then 60 with distinct finite costs (square and rectangular, a few ``Inf``)."""
    rng = np.random.default_rng(0)
    cases = []
    for k in range(150):
        m, n = (int(v) for v in rng.integers(1, 9, 2))
        if k % 2:
            c = rng.choice([0.0, 0.1, 0.25, 1 / 3, 0.5, np.inf, np.inf, np.inf], size=(m, n))
        else:
            c = np.where(rng.random((m, n)) < 0.5, np.inf, np.round(rng.random((m, n)) / 2, 3))
        cases.append(c)
    rng = np.random.default_rng(1)
    for k in range(60):
        m, n = (int(v) for v in rng.integers(2, 9, 2))
        c = np.round(rng.random((m, n)), 4)
        if k % 3 == 2:
            c[rng.random((m, n)) < 0.2] = np.inf
        cases.append(c)
    return cases


def write_sequence(root: Path, seed: int, frames: int = 6, n: int = 10, m: int = 12
                   ) -> Tuple[Path, Path, np.ndarray]:
    """A MOT17 sequence folder and a result file, tie-prone, in the devkit's formats.

    Returns:
        tuple: The sequence folder, the result file and its rows, shape (D, 10).
    """
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


def sequence_kwargs(seed: int) -> Dict[str, int]:
    """Sequence sizes per seed: the first three as before, then sparser and denser frames."""
    return [dict(), dict(n=4, m=6), dict(n=14, m=20), dict(frames=3, n=6, m=3)][seed % 4]


def det_images_of(seq_name: str, dets: np.ndarray) -> dict:
    """``eval_mot17det_ap``'s detections of a result file's rows (frame ids as parse_mot's)."""
    frames = sorted(set(dets[:, 0].astype(int).tolist()))
    return {f'{seq_name}/{f:06d}': (dets[dets[:, 0] == f, 2:6], dets[dets[:, 0] == f, 6])
            for f in frames}


def octave(script: str) -> str:
    """Standard output of ``octave --eval script``."""
    return subprocess.run(['octave', '--no-gui', '-q', '--eval', script], capture_output=True,
                          text=True, timeout=600).stdout


def _matlab(m: np.ndarray) -> str:
    return '[' + ';'.join(' '.join('Inf' if np.isinf(v) else repr(float(v)) for v in row)
                          for row in m) + ']'


def devkit_matchings(devkit: str, cases: List[np.ndarray]) -> List[np.ndarray]:
    """``Hungarian.m``'s matching of each cost matrix, bool arrays of the cases' shapes."""
    script = f"addpath('{devkit}/utils');" + ''.join(
        f"M=Hungarian({_matlab(c)}); fprintf('%d ', M(:)'); fprintf('\\n');" for c in cases)
    out = octave(script).splitlines()
    if len(out) != len(cases):
        raise RuntimeError(f'Hungarian.m answered {len(out)} of {len(cases)} cases')
    return [np.array(line.split(), dtype=int).reshape(c.shape[::-1]).T.astype(bool)
            for c, line in zip(cases, out)]


def devkit_detection(devkit: str, seq: Path, res: Path) -> Tuple[float, int, int]:
    """``evaluateDetection.m``'s mean ``refprcn`` (AP in [0, 1]), TP and FP of one sequence."""
    out = octave(f"cd('{devkit}'); r = evaluateDetection('{seq.name}', '{res}', "
                 f"'{seq}/gt/gt.txt', '{seq}', 'MOT17');"
                 "fprintf('RESULT %.17g %d %d\\n', mean(r.refprcn), r.tp, r.fp);")
    found = re.findall(r'RESULT (\S+) (\d+) (\d+)', out)
    if not found:
        raise RuntimeError(f'evaluateDetection.m gave no result for {seq}: {out[-2000:]}')
    return float(found[0][0]), int(found[0][1]), int(found[0][2])


def devkit_answers(devkit: str, root: Path) -> dict:
    """Everything the stored reference holds, computed by the devkit now."""
    matchings = devkit_matchings(devkit, hungarian_cases())
    sequences = {}
    for seed in SEQUENCE_SEEDS:
        seq, res, _ = write_sequence(root, seed, **sequence_kwargs(seed))
        ap, tp, fp = devkit_detection(devkit, seq, res)
        sequences[str(seed)] = dict(ap=ap, tp=tp, fp=fp)
    return dict(hungarian=[m.astype(int).tolist() for m in matchings], sequences=sequences)


def load_reference() -> dict:
    """The stored devkit answers (see the module docstring)."""
    return json.loads(REFERENCE.read_text())


if __name__ == '__main__':
    import tempfile
    if '--write' not in sys.argv[1:]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        answers = devkit_answers(os.environ['MMPED_MOTCHALLENGE_DEVKIT'], Path(tmp))
    answers['source'] = ('MOTChallengeEvalKit matlab_devkit (Hungarian.m, evaluateDetection.m) '
                         'under GNU Octave, on the cases of '
                         'tests/test_det_benchmarks/mot_devkit_cases.py')
    tmp_file = REFERENCE.with_suffix('.json.tmp')
    tmp_file.write_text(json.dumps(answers, separators=(',', ':')) + '\n')
    tmp_file.replace(REFERENCE)
    print(f'wrote {REFERENCE}')
