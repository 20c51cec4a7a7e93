# Copyright (c) mmped contributors. All rights reserved.
"""Caltech ``dbEval.m`` / ``bbGt.m`` behaviours on hand-built files.

Each test writes the reference rule it pins in its docstring.
"""
import numpy as np
import pytest

from mmped.datasets.parsers import parse_caltech
from mmped.datasets.parsers.caltech import parse_bbgt_dir
from mmped.evaluation.functional import evaluate_miss_rate, get_mr_protocol

from .test_cli_misuse import _Frozen
from .test_parsers_tools import run_tool


def _vbb(path, objects, labels, n_frame=30):
    """One object list (``objects``: (id, [x y w h], occl, [xv yv wv hv])) on every frame."""
    from scipy.io import savemat
    dt = [('id', 'O'), ('pos', 'O'), ('posv', 'O'), ('occl', 'O'), ('lock', 'O')]
    lists = np.empty((1, n_frame), dtype=object)
    for f in range(n_frame):
        objs = np.zeros((1, len(objects)), dtype=dt)
        for k, (oid, pos, occl, posv) in enumerate(objects):
            objs[0, k] = (oid, np.array([pos], float), np.array([posv], float), occl, 0)
        lists[0, f] = objs
    lbl = np.empty((1, len(labels)), dtype=object)
    for k, name in enumerate(labels):
        lbl[0, k] = name
    path.parent.mkdir(parents=True, exist_ok=True)
    savemat(str(path), dict(A=dict(nFrame=n_frame, objLists=lists, objLbl=lbl)))
    return path


PERSON = [100.0, 100.0, 41.0, 100.0]
FA = [300.0, 100.0, 41.0, 100.0]  # a 'person-fa' / 'person?' box
CROWD = [500.0, 100.0, 60.0, 100.0]


def test_vbb_labels_follow_bbgt_lbls_and_ilbls(tmp_path):
    """dbEval loads GT with ``lbls={'person'}, ilbls={'people'}``; bbGt ``bbLoad`` keeps only
    objects whose label is in lbls or ilbls (``person?``, ``person-fa`` are dropped: neither
    counted nor ignore regions) and sets ``ign`` for ilbls. A detection on a dropped object is
    therefore a false positive, where an ignore region would have absorbed it."""
    vbb = _vbb(tmp_path / 'set06' / 'V000.vbb',
               [(1, PERSON, 0, [0, 0, 0, 0]), (2, FA, 0, [0, 0, 0, 0]),
                (3, FA, 0, [0, 0, 0, 0]), (4, CROWD, 0, [0, 0, 0, 0])],
               ['person', 'person-fa', 'person?', 'people'])
    recs = parse_caltech(vbb)
    assert len(recs) == 1 and recs[0]['img_id'] == 'set06_V000_I00029'
    insts = recs[0]['instances']
    assert [(i['category'], i['ignore_flag']) for i in insts] == [('person', 0), ('people', 1)]
    dets = {'set06_V000_I00029': (np.array([FA, PERSON]), np.array([0.95, 0.9]))}
    res = evaluate_miss_rate(recs, dets, get_mr_protocol('caltech', setups=['Reasonable']))
    r = res['Reasonable']
    # the detection on the person-fa box is a false positive before the hit: 1 FP per image
    assert r.num_gt == 1 and r.recall == 1.0 and r.fppi[-1] == 1.0


def _bbgt(folder, name, rows):
    folder.mkdir(parents=True, exist_ok=True)
    text = '% bbGt version=3\n' + ''.join(
        f'{lbl} {" ".join(str(v) for v in box)} {occ} {" ".join(str(v) for v in vis)} 0 0 0\n'
        for lbl, box, occ, vis in rows)
    (folder / f'{name}.txt').write_text(text)


def test_new_annotation_preset_labels_visibility_and_ranges(tmp_path):
    """The new-annotation dbEval copies (Pedestron, CSP) load ``lbls={'person','person?',
    'people','ignore'}``, ``ilbls={'ignore'}`` with the current toolbox ``bbGt``: visibility 1
    for an unoccluded box (``occ == 0`` or an all-zero visible box), 0 when the visible box
    equals the full box, and closed ranges ``v >= lo && v <= hi``. The original dbEval drops
    ``person?``, ignores ``people``, uses ``inf`` for unoccluded boxes and a right-open height
    range (a box of height 80 is outside Scale=medium [30, 80))."""
    ann = tmp_path / 'anno'
    _bbgt(ann, 'set06_V000_I00029', [
        ('person', [100, 100, 41, 100], 0, [0, 0, 0, 0]),
        ('person?', [200, 100, 41, 100], 0, [0, 0, 0, 0]),
        ('people', [300, 100, 60, 100], 0, [0, 0, 0, 0]),
        ('ignore', [400, 100, 60, 100], 0, [0, 0, 0, 0]),
        ('person', [500, 100, 33, 80], 1, [500, 100, 33, 80]),  # visible box = full box
        ('person-fa', [560, 100, 20, 60], 0, [0, 0, 0, 0])])
    new = parse_bbgt_dir(ann, labels=('person', 'person?', 'people', 'ignore'),
                         ignore_labels=('ignore', ), visibility='toolbox')[0]['instances']
    assert [(i['category'], i['ignore_flag'], i['vis_ratio']) for i in new] == [
        ('person', 0, 1.0), ('person?', 0, 1.0), ('people', 0, 1.0), ('ignore', 1, 1.0),
        ('person', 0, 0.0)]
    assert parse_caltech(ann, annotations='new')[0]['instances'] == new
    old = parse_caltech(ann)[0]['instances']
    assert [(i['category'], i['ignore_flag'], i['vis_ratio']) for i in old] == [
        ('person', 0, np.inf), ('people', 1, np.inf), ('person', 0, 1.0)]
    # closed [lo, hi] in the new preset; right-open [lo, hi) in the original
    proto_new = get_mr_protocol('caltech_new')
    assert [s.name for s in proto_new.setups] == ['Reasonable', 'All', 'Small', 'Heavy',
                                                  'Partial']
    assert not proto_new.setups[0].height_right_open and not proto_new.setups[0].resize_dets
    assert get_mr_protocol('caltech').setups[0].height_right_open
    # Small = [50, 75] closed: a person of height exactly 75 counts
    _bbgt(tmp_path / 'small', 'set06_V000_I00029', [('person', [100, 100, 31, 75], 0,
                                                      [0, 0, 0, 0])])
    recs = parse_caltech(tmp_path / 'small', annotations='new')
    res = evaluate_miss_rate(recs, {}, get_mr_protocol('caltech_new', setups=['Small']))
    assert res['Small'].num_gt == 1


def test_standard_test_list():
    """dbEval's ``getDBInfo('UsaTest')``: sets 06-10 with 19, 12, 11, 12, 12 videos, frames
    ``skip-1 : skip : nFrame-1`` with skip 30: 4024 frames, each video's starting at I00029."""
    from mmped.datasets.parsers.caltech import caltech_test_frames
    names = caltech_test_frames()
    assert len(names) == 4024 and len(set(names)) == 4024
    assert names[:2] == ['set06_V000_I00029', 'set06_V000_I00059']
    assert names[-1] == 'set10_V011_I01709'
    assert len({n[:10] for n in names}) == 19 + 12 + 11 + 12 + 12


def _cache(path, cells):
    from scipy.io import savemat
    gt = np.empty((1, len(cells)), dtype=object)
    for k, c in enumerate(cells):
        gt[0, k] = np.asarray(c, dtype=np.float64).reshape(-1, 5)
    savemat(str(path), {'gt': gt})
    return path


def test_dbeval_result_folder_pairs_with_gt_cache(tmp_path):
    """dbEval's ``gt-<exp>.mat`` caches hold one ``[x y w h ignore]`` cell per frame of the
    test list, in that order and without names; its result folders are ``setXX/VYYY.txt``
    with rows ``frame(1-based), x, y, w, h, score``. A 4024-cell cache pairs with the folder
    through the standard list; any other cache needs its frame list; a pairing without any
    common frame is an error, not MR 100 %."""
    from mmped.datasets.parsers.caltech import caltech_test_frames
    names = caltech_test_frames()
    cells = [np.zeros((0, 5))] * len(names)
    cells[1] = [[100, 100, 41, 100, 0]]  # set06_V000_I00059
    cache = _cache(tmp_path / 'gt-Reasonable.mat', cells)
    res = tmp_path / 'res' / 'set06'
    res.mkdir(parents=True)
    (res / 'V000.txt').write_text('60,100,100,41,100,0.9\n')
    out = tmp_path / 'mr.json'
    code, msg = run_tool('tools/analysis/eval_mr.py', cache, tmp_path / 'res', '--protocol',
                         'caltech', '--out', out)
    assert code == 0, msg
    assert '0.00%' in msg and 'Reasonable' in msg
    # a small cache: frames named by a given list
    small = _cache(tmp_path / 'gt-All.mat', [[[100, 100, 41, 100, 0]], np.zeros((0, 5))])
    frozen = _Frozen(small)
    code, msg = run_tool('tools/analysis/eval_mr.py', small, tmp_path / 'res', '--protocol',
                         'caltech')
    assert code != 0 and 'none of the 1 result frames' in msg and '--image-set' in msg
    lst = tmp_path / 'frames.txt'
    lst.write_text('set06/V000/I00059\nset06/V000/I00089\n')
    code, msg = run_tool('tools/analysis/eval_mr.py', small, tmp_path / 'res', '--protocol',
                         'caltech', '--image-set', lst)
    assert code == 0, msg
    assert frozen.unchanged()


@pytest.mark.parametrize('name', ['person-fa', 'person?'])
def test_dropped_labels_do_not_absorb_detections_in_bbgt_folders(tmp_path, name):
    """Same lbls / ilbls rule for bbGt text folders (original annotations)."""
    _bbgt(tmp_path / 'a', 'set06_V000_I00029', [('person', PERSON, 0, [0, 0, 0, 0]),
                                                 (name, FA, 0, [0, 0, 0, 0])])
    recs = parse_caltech(tmp_path / 'a')
    assert [i['category'] for i in recs[0]['instances']] == ['person']
