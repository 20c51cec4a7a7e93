# Copyright (c) mmped contributors. All rights reserved.
"""mmped's bbGt loading against the toolbox's own ``bbGt('bbLoad')`` run by GNU Octave.

Runs only when ``octave`` is on PATH and ``MMPED_PDOLLAR_TOOLBOX`` names a checkout of
https://github.com/pdollar/toolbox (``detector/bbGt.m``, ``matlab/getPrmDflt.m``; never
vendored). The rules (labels kept only when in ``lbls`` or ``ilbls``, ``ilbls`` ignored,
closed ranges, the toolbox's visibility) are written out in ``test_caltech_reference.py``;
here the ``[x y w h ignore]`` rows of both must agree for the new-annotation preset.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mmped.datasets.parsers.caltech import CALTECH_NEW_LABELS, parse_bbgt_dir
from mmped.evaluation.functional import get_mr_protocol
from mmped.evaluation.functional.miss_rate import _FlatGT, _setup_ignore

TOOLBOX = os.environ.get('MMPED_PDOLLAR_TOOLBOX')
pytestmark = pytest.mark.skipif(
    shutil.which('octave') is None or not TOOLBOX
    or not (Path(TOOLBOX) / 'detector' / 'bbGt.m').is_file(),
    reason='GNU Octave or the pdollar toolbox (MMPED_PDOLLAR_TOOLBOX) absent')

LABELS = ['person', 'person?', 'people', 'ignore', 'person-fa', 'cyclist']


def _random_frame(rng, n=12):
    rows = []
    for _ in range(n):
        # integers: bbLoad reads the fields with textscan's %d (the annotation files hold
        # integer pixels)
        x, y = (int(v) for v in rng.integers(-20, 640, 2))
        w, h = int(rng.integers(8, 60)), int(rng.integers(15, 150))
        occ = int(rng.random() < 0.5)
        kind = rng.integers(3)
        if occ and kind == 0:
            vis = [x, y, w, h]  # visible box = full box (toolbox: v = 0)
        elif occ and kind == 1:
            vis = [0, 0, 0, 0]
        else:
            vis = [x, y, w, int(h * rng.uniform(0.1, 1.0))] if occ else [0] * 4
        rows.append((str(rng.choice(LABELS)), [x, y, w, h], occ, vis))
    return rows


@pytest.mark.parametrize('setup', ['Reasonable', 'All', 'Small', 'Heavy', 'Partial'])
def test_new_annotation_gt_equals_toolbox_bbload(tmp_path, setup):
    rng = np.random.default_rng(sum(map(ord, setup)))
    ann = tmp_path / 'anno'
    ann.mkdir()
    names = [f'set06_V000_I{29 + 30 * k:05d}' for k in range(8)]
    for name in names:
        text = '% bbGt version=3\n' + ''.join(
            f'{lbl} {" ".join(map(str, box))} {occ} {" ".join(map(str, vis))} 0 0\n'
            for lbl, box, occ, vis in _random_frame(rng))
        (ann / f'{name}.txt').write_text(text)
    s = next(x for x in get_mr_protocol('caltech_new').setups if x.name == setup)
    lbls, ilbls = CALTECH_NEW_LABELS
    cell = lambda xs: '{' + ','.join(f"'{x}'" for x in xs) + '}'  # noqa: E731
    rng_str = lambda r: '[' + ' '.join('inf' if np.isinf(v) else repr(float(v)) for v in r) + ']'  # noqa: E731,E501
    x1, y1, x2, y2 = s.boundary
    script = (f"addpath('{TOOLBOX}/detector'); addpath('{TOOLBOX}/matlab');"
              f"names={cell(names)};"
              "for k=1:numel(names),"
              f" [~,b]=bbGt('bbLoad',['{ann}/' names{{k}} '.txt'],'lbls',{cell(lbls)},"
              f"'ilbls',{cell(ilbls)},'hRng',{rng_str(s.height_range)},"
              f"'vRng',{rng_str(s.vis_range)},'xRng',[{x1} {x2}],'yRng',[{y1} {y2}]);"
              " fprintf('frame\\n'); fprintf('%.6f %.6f %.6f %.6f %d\\n', b');"
              "end")
    out = subprocess.run(['octave', '--no-gui', '-q', '--eval', script], capture_output=True,
                         text=True, timeout=120).stdout
    ref = [np.array([list(map(float, ln.split())) for ln in block.strip().splitlines()
                     if ln.strip()]).reshape(-1, 5)
           for block in out.split('frame\n')[1:]]
    assert len(ref) == len(names)
    recs = parse_bbgt_dir(ann, labels=lbls, ignore_labels=ilbls, visibility='toolbox')
    flat = _FlatGT(recs)
    ign = _setup_ignore(flat, s)
    for k, img_id in enumerate(flat.img_ids):  # _FlatGT orders images by id
        sl = slice(flat.start[k], flat.start[k + 1])
        ours = np.concatenate([flat.xywh[sl], ign[sl, None]], axis=1)
        np.testing.assert_allclose(ours, ref[names.index(img_id)], atol=1e-6)
