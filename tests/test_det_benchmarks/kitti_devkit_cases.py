# Copyright (c) mmped contributors. All rights reserved.
"""Generated KITTI pedestrian cases and the KITTI object devkit's answers to them.

The devkit's 2D evaluation (``evaluate_object.cpp``: ``cleanData``, ``computeStatistics``,
``getThresholds``, ``eval_class``) was compiled outside the repo (``g++ -O2``, Boost headers)
and run on the seeded cases below; its 41-point precision curves per difficulty are stored in
``tests/data/reference/kitti_devkit.json`` (six decimals, as the devkit writes
``stats_pedestrian_detection.txt``), written by::

    MMPED_KITTI_DEVKIT=/path/to/evaluate_object \\
        python tests/test_det_benchmarks/kitti_devkit_cases.py --write

The binary is an offline build of the devkit (it reads ``validset.txt``,
``kitti/object/training/label_2/`` and ``<results>/<id>.txt`` from its working directory).
``test_kitti_devkit_stored.py`` compares mmped with the stored curves wherever the suite runs;
``test_kitti_stored_reference_is_the_devkits`` there re-runs the devkit when it is given.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np

REFERENCE = Path(__file__).resolve().parents[1] / 'data' / 'reference' / 'kitti_devkit.json'
SEEDS = tuple(range(10))
DIFFICULTIES = ('easy', 'moderate', 'hard')
# values on and next to the devkit's limits: height 25 / 40 (``<=`` ignores a GT,
# ``<`` a detection), truncation 0.15 / 0.3 / 0.5, occlusion 0 / 1 / 2
HEIGHTS = (20.0, 24.5, 25.0, 25.5, 30.0, 39.5, 40.0, 40.5, 60.0, 100.0)
TRUNCATIONS = (0.0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6)
TYPES = ('Pedestrian',) * 6 + ('Person_sitting', 'Car', 'Cyclist', 'DontCare', 'DontCare')


def _row(typ: str, trunc: float, occ: int, box, score=None) -> str:
    x1, y1, x2, y2 = (float(v) for v in box)
    tail = f' {score}' if score is not None else ''
    if score is None:
        return f'{typ} {trunc} {occ} -10 {x1} {y1} {x2} {y2} 1.7 0.6 0.8 1 1 10 0'
    return f'{typ} -1 -1 -10 {x1} {y1} {x2} {y2} -1 -1 -1 -1000 -1000 -1000 -10{tail}'


def write_case(root: Path, seed: int) -> List[str]:
    """``root/label_2`` and ``root/results`` of one case; returns the image ids.

    Every image has one easy pedestrian (so every difficulty has GT), then random objects of
    :data:`TYPES` at boundary heights and truncations, and detections: jittered copies of
    pedestrian / sitting boxes (some doubled), small ones, strays, ones on DontCare areas;
    a third of the scores repeat.
    """
    rng = np.random.default_rng(seed)
    labels, results = root / 'label_2', root / 'results'
    labels.mkdir(parents=True)
    results.mkdir()
    ids = []
    for k in range(int(rng.integers(6, 11))):
        img_id = f'{k:06d}'
        ids.append(img_id)
        gts = [('Pedestrian', 0.0, 0, (100.0, 50.0, 130.0, 130.0))]
        for _ in range(int(rng.integers(2, 8))):
            h = float(rng.choice(HEIGHTS))
            w = float(rng.integers(10, 40))
            x, y = float(rng.integers(0, 1000)), float(rng.integers(0, 250))
            gts.append((str(rng.choice(TYPES)), float(rng.choice(TRUNCATIONS)),
                        int(rng.integers(0, 4)), (x, y, x + w, y + h)))
        dets = []
        for typ, _, _, box in gts:
            box = np.asarray(box)
            if typ in ('Pedestrian', 'Person_sitting') and rng.random() < 0.8:
                for _ in range(1 + int(rng.random() < 0.25)):
                    dets.append(box + rng.integers(-2, 3, 4))
            elif typ == 'DontCare' and rng.random() < 0.5:
                dets.append(box + np.array([1, 1, -1, -1]))
        for _ in range(int(rng.integers(0, 4))):
            x, y = float(rng.integers(0, 1000)), float(rng.integers(0, 250))
            dets.append(np.array([x, y, x + rng.integers(10, 40), y + rng.choice(HEIGHTS)]))
        scores = [float(rng.choice([0.9, 0.8, 0.5])) if rng.random() < 0.33
                  else round(float(rng.random()), 4) for _ in dets]
        (labels / f'{img_id}.txt').write_text(''.join(_row(*g) + '\n' for g in gts))
        (results / f'{img_id}.txt').write_text(
            ''.join(_row('Pedestrian', 0, 0, d, s) + '\n' for d, s in zip(dets, scores)))
    return ids


def devkit_precision(binary: str, seed: int) -> Dict[str, List[float]]:
    """The devkit's 41-point precision curve per difficulty on one case."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ids = write_case(root / 'case', seed)
        gt_dir = root / 'kitti' / 'object' / 'training'
        gt_dir.mkdir(parents=True)
        (root / 'case' / 'label_2').rename(gt_dir / 'label_2')
        (root / 'validset.txt').write_text('\n'.join(ids))  # no final newline (feof loop)
        subprocess.run([binary, 'case/results'], cwd=root, capture_output=True, timeout=300,
                       check=True)
        lines = (root / 'case' / 'results' / 'stats_pedestrian_detection.txt').read_text()
    curves = [[float(v) for v in line.split()] for line in lines.splitlines()]
    return dict(zip(DIFFICULTIES, curves))


def ap_of(curve: List[float]) -> Dict[str, float]:
    """AP|R11 (every 4th of the 41 points) and AP|R40 (points 1..40) in percent."""
    prec = np.asarray(curve)
    return dict(R11=float(prec[::4].sum() / 11 * 100), R40=float(prec[1:].sum() / 40 * 100))


def load_reference() -> dict:
    """``seed -> difficulty -> 41 precisions`` (see the module docstring)."""
    return json.loads(REFERENCE.read_text())['curves']


if __name__ == '__main__':
    if '--write' not in sys.argv[1:]:
        sys.exit(__doc__)
    binary = os.environ['MMPED_KITTI_DEVKIT']
    doc = dict(source='KITTI object devkit evaluate_object.cpp (2D image boxes, pedestrian), '
               'offline build, on the cases of tests/test_det_benchmarks/kitti_devkit_cases.py',
               curves={str(s): devkit_precision(binary, s) for s in SEEDS})
    tmp_file = REFERENCE.with_suffix('.json.tmp')
    tmp_file.write_text(json.dumps(doc, separators=(',', ':')) + '\n')
    tmp_file.replace(REFERENCE)
    print(f'wrote {REFERENCE}')
