# Copyright (c) mmped contributors. All rights reserved.
"""Exact parsed records of the Caltech parsers (``mmped.datasets.parsers.caltech``).

Small files in the real formats are written into ``tmp_path``: ``.vbb`` structs of the
Caltech toolbox (``A.nFrame``, ``A.objLists`` with ``id`` (1-based) / ``pos`` / ``posv`` /
``occl``, ``A.objLbl``), bbGt v3 text files, COCO-style jsons and ``dbEval`` ``gt-*.mat``
caches. Label rules follow Piotr's toolbox ``bbGt`` (``lbls`` kept, ``ilbls`` ignore
regions, other labels dropped) as loaded by ``dbEval`` (original: ``lbls={'person'}``,
``ilbls={'people'}``; new annotations: ``lbls={'person','person?','people','ignore'}``,
``ilbls={'ignore'}``); the frame sampling is the toolbox's ``skip-1 : skip : nFrame-1``.
"""
import json
import math
import re

import numpy as np
import pytest
from scipy.io import savemat

from mmped.datasets.parsers.caltech import (
    CALTECH_LABELS,
    CALTECH_NEW_LABELS,
    _canonical,
    _field,
    caltech_frame_name,
    caltech_test_frames,
    parse_bbgt_dir,
    parse_caltech,
    parse_caltech_json,
    parse_dbeval_gt_cache,
    parse_vbb,
    read_frame_list,
)

INF = math.inf
_DT = [('id', 'O'), ('pos', 'O'), ('posv', 'O'), ('occl', 'O')]


def _write_vbb(path, frames, labels, n_frame=None):
    """``frames``: per frame a list of ``(id, pos, posv or None, occl)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lists = np.empty((1, len(frames)), dtype=object)
    for f, objs in enumerate(frames):
        arr = np.zeros((1, len(objs)), dtype=_DT)
        for k, (oid, pos, posv, occl) in enumerate(objs):
            pv = np.array([posv], float) if posv is not None else np.zeros((0, 0))
            arr[0, k] = (oid, np.array([pos], float), pv, occl)
        lists[0, f] = arr
    lbl = np.empty((1, len(labels)), dtype=object)
    for i, name in enumerate(labels):
        lbl[0, i] = name
    savemat(str(path), dict(A=dict(nFrame=len(frames) if n_frame is None else n_frame,
                                   objLists=lists, objLbl=lbl)))
    return path


def _one_obj_frames(n, obj=(1, [10, 20, 30, 80], None, 0)):
    return [[obj] for _ in range(n)]


def _inst(bbox, ignore, category, vis_ratio=INF, vis_bbox=None, occlusion=-1, **extra):
    out = dict(bbox=[float(v) for v in bbox], bbox_label=0, ignore_flag=int(ignore),
               category=category, height=float(bbox[3] - bbox[1]), vis_ratio=vis_ratio,
               vis_bbox=vis_bbox, occlusion=occlusion, truncation=0.0)
    out.update(extra)
    return out


def _rec(name, instances, img_id=None):
    return dict(img_id=name if img_id is None else img_id, file_name=name, width=640,
                height=480, instances=instances)


# ----------------------------------------------------------------- names and frame lists
def test_test_frame_list_is_the_dbeval_every_30th_frame_list():
    """Caltech test list: sets 06-10, frames 29, 59, ... of every video, 4024 in all."""
    names = caltech_test_frames()
    assert len(names) == 4024
    assert names[:3] == ['set06_V000_I00029', 'set06_V000_I00059', 'set06_V000_I00089']
    assert names[60:62] == ['set06_V000_I01829', 'set06_V001_I00029']
    assert names[-1] == 'set10_V011_I01709'
    per_set = {}
    for n in names:
        per_set[n[:5]] = per_set.get(n[:5], 0) + 1
    assert per_set == dict(set06=1155, set07=746, set08=657, set09=738, set10=728)
    videos = {n[:10] for n in names}
    assert len(videos) == 19 + 12 + 11 + 12 + 12


def test_frame_name_and_canonical_forms():
    assert caltech_frame_name('set06', 'V000', 29) == 'set06_V000_I00029'
    assert caltech_frame_name('set01', 'V012', '7') == 'set01_V012_I00007'
    assert caltech_frame_name('set01', 'V012', 123456) == 'set01_V012_I123456'
    assert _canonical('images/set07/V003/I00059.jpg') == 'set07_V003_I00059'
    assert _canonical('set07_V003_I00059.jpg.txt') == 'set07_V003_I00059'
    assert _canonical('set07/V003/59.png') == 'set07_V003_I00059'
    assert _canonical('set07-V003-I00059') == 'set07-V003-I00059'
    assert _canonical('crop_000001') == 'crop_000001'


def test_field_reads_mat_struct_attributes_and_record_items():
    class S:
        _fieldnames = ['id']
        id = 7

    assert _field(S(), 'id') == 7
    assert _field(dict(id=3), 'id') == 3
    rec = np.zeros((), dtype=[('id', 'i4')])
    rec['id'] = 5
    assert int(_field(rec, 'id')) == 5


def test_read_frame_list_text_and_json(tmp_path):
    txt = tmp_path / 'list.txt'
    txt.write_text('  set06/V000/I00029.jpg \n\nset06_V001_I00059\nother\n')
    assert read_frame_list(txt) == ['set06_V000_I00029', 'set06_V001_I00059', 'other']
    js = tmp_path / 'test.json'
    js.write_text(json.dumps(dict(images=[
        dict(file_name='set06_V000_I00029.jpg', im_name='set09_V000_I00029'),
        dict(im_name='set06/V000/I00059.png'),
        dict(file_name='plain')])))
    assert read_frame_list(js) == ['set06_V000_I00029', 'set06_V000_I00059', 'plain']


def test_read_frame_list_json_errors_name_file_record_and_field(tmp_path):
    js = tmp_path / 'bad_top.json'
    js.write_text(json.dumps([dict(file_name='a')]))
    with pytest.raises(ValueError, match=r"bad_top\.json: record top level: field 'images': "
                                         r'expected a list of images$'):
        read_frame_list(js)
    js = tmp_path / 'bad_images.json'
    js.write_text(json.dumps(dict(images=dict(file_name='a'))))
    with pytest.raises(ValueError, match=r"bad_images\.json: record top level: field 'images'"):
        read_frame_list(js)
    js = tmp_path / 'no_name.json'
    js.write_text(json.dumps(dict(images=[dict(file_name='a'), dict(id=2), dict(id=3)])))
    with pytest.raises(ValueError, match=r"no_name\.json: record image 1: field 'file_name': "
                                         r'missing$'):
        read_frame_list(js)


# ----------------------------------------------------------------------------- .vbb
def test_vbb_records_labels_visibility_and_track_ids(tmp_path):
    """``lbls={'person'}`` kept, ``ilbls={'people'}`` ignored, ``person?`` dropped; ``posv``
    all zeros / occl 0 -> ``vis_ratio`` inf (Caltech code 3.2.1 bbGt), else area ratio."""
    frames = [
        [],
        [(1, [1, 2, 3, 4], [1, 2, 3, 2], 1)],
        [(1, [1, 2, 3, 4], None, 0), (2, [5, 6, 7, 8], [5, 6, 7, 4], 1),
         (3, [9, 9, 2, 2], [9, 9, 2, 1], 1), (1, [0, 0, 2, 4], [0, 0, 0, 0], 1)],
    ]
    path = _write_vbb(tmp_path / 'set07' / 'V004.vbb', frames, ['person', 'people', 'person?'])
    recs = parse_vbb(path, frames=[0, 1, 2])
    assert recs == [
        _rec('set07_V004_I00000', []),
        _rec('set07_V004_I00001', [
            _inst([1, 2, 4, 6], 0, 'person', 0.5, [1.0, 2.0, 4.0, 4.0], 1, track_id=1)]),
        _rec('set07_V004_I00002', [
            _inst([1, 2, 4, 6], 0, 'person', INF, None, 0, track_id=1),
            _inst([5, 6, 12, 14], 1, 'people', 0.5, [5.0, 6.0, 12.0, 10.0], 1, track_id=2),
            _inst([0, 0, 2, 4], 0, 'person', INF, None, 1, track_id=1)]),
    ]
    recs = parse_vbb(path, frames=[2], labels=CALTECH_NEW_LABELS[0],
                     ignore_labels=CALTECH_NEW_LABELS[1], set_name='set01', video='V009')
    assert [r['img_id'] for r in recs] == ['set01_V009_I00002']
    inst = recs[0]['instances']
    assert [(i['category'], i['ignore_flag'], i['vis_ratio']) for i in inst] == [
        ('person', 0, INF), ('people', 0, 0.5), ('person?', 0, 0.5), ('person', 0, INF)]


def test_vbb_single_object_and_single_label(tmp_path):
    path = _write_vbb(tmp_path / 'set00' / 'V001.vbb',
                      [[(1, [10, 20, 30, 80], [10, 20, 30, 20], 1)]], ['person'])
    assert parse_vbb(path, frames=[0]) == [_rec('set00_V001_I00000', [
        _inst([10, 20, 40, 100], 0, 'person', 0.25, [10.0, 20.0, 40.0, 40.0], 1,
              track_id=1)])]


@pytest.mark.parametrize('n_objects', [0, 1, 2])
def test_vbb_of_one_frame(tmp_path, n_objects):
    """A one-frame video: its single objLists cell holds none, one or two objects (the
    squeezed cell is that frame's objects, not a list of frames)."""
    objs = [(1, [10, 20, 30, 80], None, 0), (2, [1, 2, 3, 4], None, 0)][:n_objects]
    path = _write_vbb(tmp_path / 'set00' / 'V001.vbb', [objs], ['person', 'people'])
    expected = [_inst([10, 20, 40, 100], 0, 'person', occlusion=0, track_id=1),
                _inst([1, 2, 4, 6], 1, 'people', occlusion=0, track_id=2)][:n_objects]
    assert parse_vbb(path, frames=[0]) == [_rec('set00_V001_I00000', expected)]
    # two stored lists for nFrame = 1 stay an error
    bad = _write_vbb(tmp_path / 'set00' / 'V002.vbb', [objs, objs], ['person'], n_frame=1)
    with pytest.raises(ValueError, match=r"V002\.vbb: record A: field 'objLists': 2 lists "
                       r'for 1 frames$'):
        parse_vbb(bad, frames=[0])


def test_vbb_default_sampling_skip_and_boundaries(tmp_path):
    """Toolbox sampling ``skip-1 : skip : nFrame-1``: with 60 frames and skip 30 the frames
    29 and 59; with 59 frames only 29."""
    p60 = _write_vbb(tmp_path / 'set06' / 'V000.vbb', _one_obj_frames(60), ['person'])
    assert [r['img_id'] for r in parse_vbb(p60)] == ['set06_V000_I00029', 'set06_V000_I00059']
    assert [r['img_id'] for r in parse_vbb(p60, skip=20)] == [
        'set06_V000_I00019', 'set06_V000_I00039', 'set06_V000_I00059']
    p59 = _write_vbb(tmp_path / 'set06' / 'V001.vbb', _one_obj_frames(59), ['person'])
    assert [r['img_id'] for r in parse_vbb(p59)] == ['set06_V001_I00029']
    p4 = _write_vbb(tmp_path / 'set06' / 'V002.vbb', _one_obj_frames(4), ['person'])
    assert [r['img_id'] for r in parse_vbb(p4, skip=1)] == [
        'set06_V002_I00000', 'set06_V002_I00001', 'set06_V002_I00002', 'set06_V002_I00003']
    assert [r['img_id'] for r in parse_vbb(p4, frames=[3, 0])] == [
        'set06_V002_I00003', 'set06_V002_I00000']


def test_vbb_frame_range_boundaries(tmp_path):
    path = _write_vbb(tmp_path / 'set06' / 'V000.vbb', _one_obj_frames(4), ['person'])
    with pytest.raises(ValueError, match=r"V000\.vbb: record frame 4: field 'frame': "
                                         r'outside 0\.\.3$'):
        parse_vbb(path, frames=[0, 4])
    with pytest.raises(ValueError, match=r"record frame -1: field 'frame': outside 0\.\.3$"):
        parse_vbb(path, frames=[-1])


def test_vbb_id_boundaries(tmp_path):
    """Object ids are 1-based indices into ``objLbl``: 1 and len(objLbl) valid, 0 and
    len + 1 rejected."""
    ok = _write_vbb(tmp_path / 'set06' / 'V000.vbb',
                    [[(1, [0, 0, 1, 2], None, 0), (2, [0, 0, 3, 4], None, 0)], []],
                    ['people', 'person'])
    assert [(i['track_id'], i['category'], i['ignore_flag'])
            for i in parse_vbb(ok, frames=[0])[0]['instances']] == [
                (1, 'people', 1), (2, 'person', 0)]
    for bad_id in (0, 3):
        path = _write_vbb(tmp_path / 'set06' / f'V00{bad_id}.vbb',
                          [[(1, [0, 0, 1, 2], None, 0), (bad_id, [0, 0, 1, 2], None, 0)], []],
                          ['people', 'person'])
        with pytest.raises(ValueError, match=rf"V00{bad_id}\.vbb: record frame 0 object 1: "
                                             rf"field 'id': unknown id {bad_id}$"):
            parse_vbb(path, frames=[0])


def test_vbb_malformed_files_name_the_field(tmp_path):
    path = tmp_path / 'set06' / 'V000.vbb'
    path.parent.mkdir(parents=True)
    savemat(str(path), dict(B=1))
    with pytest.raises(ValueError, match=r"V000\.vbb: record A: field 'nFrame/objLists/objLbl'"
                                         r': not a vbb file \('):
        parse_vbb(path)
    path = _write_vbb(tmp_path / 'set06' / 'V001.vbb', _one_obj_frames(3), ['person'],
                      n_frame=4)
    with pytest.raises(ValueError, match=r"V001\.vbb: record A: field 'objLists': "
                                         r'3 lists for 4 frames$'):
        parse_vbb(path)
    path = _write_vbb(tmp_path / 'set06' / 'V002.vbb',
                      [[(1, [0, 0, 1, 2], None, 0), (1, [0, 0, 1], None, 0)], []], ['person'])
    with pytest.raises(ValueError, match=r"V002\.vbb: record frame 0 object 1: "
                                         r"field 'id/pos/posv/occl': "):
        parse_vbb(path, frames=[0])


# ------------------------------------------------------------------------ bbGt folders
_BBGT = ('% bbGt version=3\n'
         'person 10 20 30 60 0 0 0 0 0 0 0\n'
         'person 1 2 4 8 1 1 2 4 4 0 0\n'
         'people 50 50 20 40 0 0 0 0 0 0 0\n'
         'person? 5 5 10 20 0 0 0 0 0 0 0\n'
         'ignore 7 7 10 20 0 0 0 0 0 0 0\n')


def _bbgt_tree(root):
    (root / 'set06' / 'V000').mkdir(parents=True)
    (root / 'set06' / 'V000' / 'I00059.txt').write_text(_BBGT)
    (root / 'set06_V000_I00029.jpg.txt').write_text('% bbGt version=3\n')
    return root


def test_bbgt_dir_sorted_names_labels_and_visibility(tmp_path):
    root = _bbgt_tree(tmp_path / 'anno')
    recs = parse_bbgt_dir(root)
    assert [r['img_id'] for r in recs] == ['set06_V000_I00029', 'set06_V000_I00059']
    assert recs[0] == _rec('set06_V000_I00029', [])
    assert recs[1] == _rec('set06_V000_I00059', [
        _inst([10, 20, 40, 80], 0, 'person', INF, None, 0),
        _inst([1, 2, 5, 10], 0, 'person', 0.5, [1.0, 2.0, 5.0, 6.0], 1),
        _inst([50, 50, 70, 90], 1, 'people', INF, None, 0)])
    new = parse_bbgt_dir(root, labels=CALTECH_NEW_LABELS[0],
                         ignore_labels=CALTECH_NEW_LABELS[1], visibility='toolbox')
    assert [(i['category'], i['ignore_flag'], i['vis_ratio'])
            for i in new[1]['instances']] == [
                ('person', 0, 1.0), ('person', 0, 0.5), ('people', 0, 1.0),
                ('person?', 0, 1.0), ('ignore', 1, 1.0)]


def test_bbgt_dir_image_set_order_and_missing_frame(tmp_path):
    root = _bbgt_tree(tmp_path / 'anno')
    lst = tmp_path / 'test.txt'
    lst.write_text('set06/V000/I00059.jpg\n\n set06_V000_I00029 \n')
    assert [r['img_id'] for r in parse_bbgt_dir(root, lst)] == [
        'set06_V000_I00059', 'set06_V000_I00029']
    lst.write_text('set06_V000_I00029\nset06_V000_I00089\nset06_V000_I00119\n')
    with pytest.raises(ValueError, match=r"test\.txt: record set06_V000_I00089: field 'frame':"
                                         r' no annotation file in .*anno$'):
        parse_bbgt_dir(root, lst)


def test_bbgt_dir_without_files(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'x.json').write_text('{}')
    with pytest.raises(ValueError, match=r"empty: record folder: field '\*\.txt': "
                                         r'no annotation file found$'):
        parse_bbgt_dir(tmp_path / 'empty')


# ------------------------------------------------------------------------- COCO json
def test_caltech_json_ignore_and_visibility_threshold(tmp_path):
    """``iscrowd`` or ``ignore`` -> ignore box; ``vis_ratio >= 1`` is the toolbox's "no
    occlusion box" (inf): 1.0 -> inf, just below 1 kept, absent -> inf."""
    js = tmp_path / 'test.json'
    js.write_text(json.dumps(dict(
        images=[dict(id=5, file_name='set06_V000_I00029.jpg'),
                dict(id=6, file_name='b.jpg', width=320, height=240)],
        annotations=[
            dict(id=11, image_id=5, bbox=[1, 2, 3, 4], vis_ratio=1.0),
            dict(id=12, image_id=5, bbox=[1, 2, 3, 4], vis_ratio=0.9999, ignore=0,
                 iscrowd=0),
            dict(id=13, image_id=6, bbox=[1, 2, 3, 4], iscrowd=1, height=480),
            dict(image_id=6, bbox=[1, 2, 3, 4], ignore=1, vis_ratio=1.5),
            dict(image_id=6, bbox=[1, 2, 3, 4], vis_ratio=0),
        ])))
    recs = parse_caltech_json(js)
    assert recs == [
        dict(img_id=5, file_name='set06_V000_I00029.jpg', width=640, height=480, instances=[
            _inst([1, 2, 4, 6], 0, 'person', INF, ann_id=11),
            _inst([1, 2, 4, 6], 0, 'person', 0.9999, ann_id=12)]),
        dict(img_id=6, file_name='b.jpg', width=320, height=240, instances=[
            _inst([1, 2, 4, 6], 1, 'ignore', INF, ann_id=13),
            _inst([1, 2, 4, 6], 1, 'ignore', INF, ann_id=None),
            _inst([1, 2, 4, 6], 0, 'person', 0.0, ann_id=None)]),
    ]


def test_caltech_json_bad_vis_ratio_names_the_annotation(tmp_path):
    js = tmp_path / 'val.json'
    js.write_text(json.dumps(dict(images=[dict(id=1, file_name='a')], annotations=[
        dict(image_id=1, bbox=[0, 0, 1, 1]), dict(image_id=1, bbox=[0, 0, 1, 1],
                                                  vis_ratio='x')])))
    with pytest.raises(ValueError, match=r"val\.json: record annotation 1: field 'vis_ratio': "
                                         r"not a number: 'x'$"):
        parse_caltech_json(js)


# ------------------------------------------------------------------ dbEval gt caches
def _write_cache(path, cells, var='gt'):
    arr = np.empty((1, len(cells)), dtype=object)
    for i, c in enumerate(cells):
        arr[0, i] = np.asarray(c, dtype=np.float64).reshape(-1, 5) if len(c) else np.zeros(
            (0, 5))
    savemat(str(path), {var: arr})
    return path


def test_gt_cache_without_names_numbers_the_frames(tmp_path):
    path = _write_cache(tmp_path / 'gt-Reasonable.mat',
                        [[[1, 2, 3, 4, 0], [5, 6, 7, 8, 1]], [], [[0, 0, 2, 5, 0]]])
    assert parse_dbeval_gt_cache(path) == [
        _rec('1', [_inst([1, 2, 4, 6], 0, 'person'), _inst([5, 6, 12, 14], 1, 'ignore')],
             img_id=1),
        _rec('2', [], img_id=2),
        _rec('3', [_inst([0, 0, 2, 5], 0, 'person')], img_id=3)]


def test_gt_cache_names_given_or_from_the_standard_test_list(tmp_path):
    path = _write_cache(tmp_path / 'gt-All.mat', [[[1, 2, 3, 4, 0]], []])
    recs = parse_dbeval_gt_cache(path, ['set06/V000/I00029.jpg', 'x'])
    assert [(r['img_id'], r['file_name']) for r in recs] == [
        ('set06_V000_I00029', 'set06_V000_I00029'), ('x', 'x')]
    with pytest.raises(ValueError, match=r"gt-All\.mat: record gt: field 'names': "
                                         r'3 names for 2 frames$'):
        parse_dbeval_gt_cache(path, ['a', 'b', 'c'])
    cells = [[] for _ in range(4024)]
    cells[1] = [[1, 2, 3, 4, 1]]
    full = _write_cache(tmp_path / 'gt-Heavy.mat', cells)
    recs = parse_dbeval_gt_cache(full)
    assert [r['img_id'] for r in recs] == caltech_test_frames()
    assert recs[1] == _rec('set06_V000_I00059', [_inst([1, 2, 4, 6], 1, 'ignore')])


def test_gt_cache_malformed(tmp_path):
    path = _write_cache(tmp_path / 'gt-x.mat', [[1, 2, 3, 4, 0]], var='dt')
    with pytest.raises(ValueError, match=r"gt-x\.mat: record gt: field 'gt': "
                                         r'not a dbEval gt cache \('):
        parse_dbeval_gt_cache(path)
    arr = np.empty((1, 2), dtype=object)
    arr[0, 0], arr[0, 1] = np.zeros((0, 5)), np.ones((1, 4))
    savemat(str(tmp_path / 'gt-y.mat'), dict(gt=arr))
    with pytest.raises(ValueError, match=r"gt-y\.mat: record frame 2: field 'gt': "
                                         r'expected N x 5, got \(1, 4\)$'):
        parse_dbeval_gt_cache(tmp_path / 'gt-y.mat')


# ------------------------------------------------------------------------ dispatcher
def test_parse_caltech_dispatch_original_and_new(tmp_path):
    frames = [[(1, [1, 2, 3, 4], None, 0), (2, [5, 6, 7, 8], None, 0),
               (3, [0, 0, 2, 2], None, 0), (4, [0, 0, 4, 4], None, 0)]] * 4
    root = tmp_path / 'annotations'
    _write_vbb(root / 'set07' / 'V001.vbb', frames, ['person', 'people', 'person?', 'ignore'])
    _write_vbb(root / 'set06' / 'V003.vbb', frames, ['person', 'people', 'person?', 'ignore'])
    orig = parse_caltech(root, skip=2)
    assert [r['img_id'] for r in orig] == [
        'set06_V003_I00001', 'set06_V003_I00003', 'set07_V001_I00001', 'set07_V001_I00003']
    assert [(i['category'], i['ignore_flag']) for i in orig[0]['instances']] == [
        ('person', 0), ('people', 1)]
    new = parse_caltech(root / 'set07' / 'V001.vbb', skip=4, annotations='new')
    assert [r['img_id'] for r in new] == ['set07_V001_I00003']
    assert [(i['category'], i['ignore_flag']) for i in new[0]['instances']] == [
        ('person', 0), ('people', 0), ('person?', 0), ('ignore', 1)]
    # a folder of .vbb files takes the new labels too
    new_dir = parse_caltech(root, skip=4, annotations='new')
    assert [r['img_id'] for r in new_dir] == ['set06_V003_I00003', 'set07_V001_I00003']
    assert new_dir[1] == new[0]
    assert [r['img_id'] for r in parse_caltech(root / 'set06' / 'V003.vbb')] == []
    assert CALTECH_LABELS == (('person', ), ('people', ))
    assert CALTECH_NEW_LABELS == (('person', 'person?', 'people', 'ignore'), ('ignore', ))


def test_parse_caltech_bbgt_json_and_cache_inputs(tmp_path):
    root = _bbgt_tree(tmp_path / 'anno')
    orig = parse_caltech(root)
    assert [(i['category'], i['vis_ratio']) for i in orig[1]['instances']] == [
        ('person', INF), ('person', 0.5), ('people', INF)]
    new = parse_caltech(root, annotations='new')
    assert [(i['category'], i['ignore_flag'], i['vis_ratio'])
            for i in new[1]['instances']] == [
                ('person', 0, 1.0), ('person', 0, 0.5), ('people', 0, 1.0),
                ('person?', 0, 1.0), ('ignore', 1, 1.0)]
    lst = tmp_path / 'order.txt'
    lst.write_text('set06_V000_I00059\n')
    assert [r['img_id'] for r in parse_caltech(root, image_set=lst)] == ['set06_V000_I00059']
    js = tmp_path / 'a.json'
    js.write_text(json.dumps(dict(images=[dict(id=1, file_name='f')], annotations=[
        dict(image_id=1, bbox=[0, 0, 1, 2], iscrowd=1)])))
    assert parse_caltech(js, annotations='new') == [dict(
        img_id=1, file_name='f', width=640, height=480,
        instances=[_inst([0, 0, 1, 2], 1, 'ignore', ann_id=None)])]
    cache = _write_cache(tmp_path / 'gt-Reasonable.mat', [[[1, 2, 3, 4, 0]], []])
    assert [r['img_id'] for r in parse_caltech(cache)] == [1, 2]
    names = tmp_path / 'names.txt'
    names.write_text('set06_V000_I00029\nset06/V000/I00059\n')
    recs = parse_caltech(cache, image_set=names)
    assert [r['img_id'] for r in recs] == ['set06_V000_I00029', 'set06_V000_I00059']
    assert recs[0]['instances'] == [_inst([1, 2, 4, 6], 0, 'person')]


def test_parse_caltech_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=re.escape(
            "annotations='newer', expected original or new")):
        parse_caltech(tmp_path, annotations='newer')
    txt = tmp_path / 'a.txt'
    txt.write_text('')
    with pytest.raises(ValueError, match=r"a\.txt: record file: field 'suffix': "
                                         r'expected \.json, \.vbb or an annotation folder$'):
        parse_caltech(txt)
