# Copyright (c) mmped contributors. All rights reserved.
"""Caltech toolbox detections, INRIA annotations and the parser dispatch (``auto``).

- Caltech results (``dbEval`` layouts): ``setXX/VYYY.txt`` rows ``frame(1-based) x y w h
  score`` or ``setXX/VYYY/IZZZZZ.txt`` rows ``x y w h score``.
- INRIA Person: PASCAL Annotation Version 1.00 text files; boxes become ``[Xmin, Ymin,
  Xmax - Xmin, Ymax - Ymin]`` as the Caltech toolbox's PASCAL loader (``bbGt``) reads them.
- ``auto``: protocol -> parser, ``dbEval`` ``gt-<experiment>.mat`` names -> setups, and the
  detection layouts (COCO json, KAIST text, Caltech folder).
"""
import json
import math
import re
import warnings

import numpy as np
import pytest

from mmped.datasets import parsers
from mmped.datasets.parsers.auto import dbeval_cache_setup, load_detections, load_ground_truth
from mmped.datasets.parsers.caltech import load_caltech_results
from mmped.datasets.parsers.inria import parse_inria, parse_inria_file


def _gt(*names):
    return [dict(img_id=k + 100, file_name=f'images/{n}.jpg') for k, n in enumerate(names)]


def _dets(out):
    return {k: (v[0].tolist(), v[1].tolist()) for k, v in out.items()}


# ------------------------------------------------------------------ Caltech results
def test_caltech_results_both_layouts(tmp_path):
    """Consolidated file: frame column is 1-based (frame 30 -> ``I00029``)."""
    (tmp_path / 'set06').mkdir()
    (tmp_path / 'set06' / 'V000.txt').write_text(
        '30,1,2,3,4,0.9\n\n60 5 6 7 8 0.8\n30,9,9,9,9,0.7\n')
    (tmp_path / 'set07' / 'V001').mkdir(parents=True)
    (tmp_path / 'set07' / 'V001' / 'I00029.txt').write_text('1 1 2 2 0.5\n\n3,3,4,4,0.25\n')
    gt = _gt('set06_V000_I00029', 'set06_V000_I00059', 'set07_V001_I00029', 'set08_V000_I00029')
    assert _dets(load_caltech_results(tmp_path, gt)) == {
        100: ([[1, 2, 3, 4], [9, 9, 9, 9]], [0.9, 0.7]),
        101: ([[5, 6, 7, 8]], [0.8]),
        102: ([[1, 1, 2, 2], [3, 3, 4, 4]], [0.5, 0.25])}


def test_caltech_results_empty_folder_and_empty_files(tmp_path):
    assert load_caltech_results(tmp_path, _gt('set06_V000_I00029')) == {}
    (tmp_path / 'set06').mkdir()
    (tmp_path / 'set06' / 'V000.txt').write_text('\n')
    assert load_caltech_results(tmp_path, _gt('set06_V000_I00029')) == {}


def test_caltech_results_unknown_frames_warn_or_fail(tmp_path):
    (tmp_path / 'set06').mkdir()
    (tmp_path / 'set06' / 'V000.txt').write_text('30 1 2 3 4 0.9\n90 1 2 3 4 0.8\n'
                                                 '120 1 2 3 4 0.1\n150 1 2 3 4 0.1\n')
    with pytest.warns(UserWarning, match=re.escape(
            ": 3 result frames match no ground-truth frame and are ignored, e.g. "
            "['set06_V000_I00089', 'set06_V000_I00119']")):
        out = load_caltech_results(tmp_path, _gt('set06_V000_I00029'))
    assert _dets(out) == {100: ([[1, 2, 3, 4]], [0.9])}
    with pytest.raises(ValueError, match=re.escape(
            f"{tmp_path}: record folder: field 'frames': none of the 4 result frames (e.g. "
            "['set06_V000_I00029', 'set06_V000_I00089']) is a ground-truth frame (e.g. "
            "['1', '2']); a dbEval gt-*.mat cache needs its frame list (--image-set)")):
        load_caltech_results(tmp_path, [dict(img_id=1, file_name='1'),
                                        dict(img_id=2, file_name='2'),
                                        dict(img_id=3, file_name='3')])
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_caltech_results(tmp_path, _gt('set06_V000_I00029', 'set06_V000_I00089',
                                           'set06_V000_I00119', 'set06_V000_I00149'))


def test_caltech_results_bad_files_name_file_line_and_field(tmp_path):
    (tmp_path / 'set06').mkdir()
    bad = tmp_path / 'set06' / 'V000.txt'
    bad.write_text('30 1 2 3 4 0.9\n\n60 1 2 3 4\n')
    gt = _gt('set06_V000_I00029')
    with pytest.raises(ValueError, match=r"V000\.txt: record line 3: field 'columns': "
                                         r'expected 6 values, got 5$'):
        load_caltech_results(tmp_path, gt)
    bad.write_text('30 1 2 3 4 x\n')
    with pytest.raises(ValueError, match=r"V000\.txt: record rows: field 'values': "
                                         r'not numeric$'):
        load_caltech_results(tmp_path, gt)
    bad.write_text('31 1 2 3 4 0.5\n\n30.5 1 2 3 4 0.5\n')  # an odd frame is an integer
    with pytest.raises(ValueError, match=r"V000\.txt: record row 2: field 'frame': "
                                         r'not an integer: 30\.5$'):
        load_caltech_results(tmp_path, gt)
    bad.unlink()
    (tmp_path / 'set06' / 'V000').mkdir()
    (tmp_path / 'set06' / 'V000' / 'I00029.txt').write_text('1 2 3 4 0.5 7\n')
    with pytest.raises(ValueError, match=r"I00029\.txt: record line 1: field 'columns': "
                                         r'expected 5 values, got 6$'):
        load_caltech_results(tmp_path, gt)
    (tmp_path / 'set06' / 'V000' / 'I00029.txt').unlink()
    (tmp_path / 'set06' / 'dets.txt').write_text('1 2 3 4 0.5\n')
    with pytest.raises(ValueError, match=r"dets\.txt: record path: field 'name': "
                                         r'expected setXX/VYYY\.txt or setXX/VYYY/I\*\.txt$'):
        load_caltech_results(tmp_path, gt)


# --------------------------------------------------------------------------- INRIA
_INRIA = '''# PASCAL Annotation Version 1.00

Image filename : "Test/pos/crop_000001.png"
Image size (X x Y x C) : 640 x 480 x 3
Database : "The INRIA Rocquencourt Person Database"
Objects with ground truth : 2 { "PASperson" "PASperson" }

# Details for pedestrian 1 ("PASperson")
Original label for object 1 "PASperson" : "UprightPerson"
Center point on object 1 "PASperson" (X, Y) : (100, 200)
Bounding box for object 1 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : (10, 20) - (50, 120)

Bounding box for object 2 "PASpersonSitting" (Xmin, Ymin) - (Xmax, Ymax) : (-3, 4.5) - ( 7.5 ,4.5)
Bounding box for object 3 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : (5, 5) - (5, 9)
'''


def test_inria_file_exact_record(tmp_path):
    path = tmp_path / 'crop_000001.txt'
    path.write_text(_INRIA)
    inst = [dict(bbox=[10.0, 20.0, 50.0, 120.0], bbox_label=0, ignore_flag=0,
                 category='PASperson', height=100.0, vis_ratio=math.inf, vis_bbox=None,
                 occlusion=-1, truncation=0.0),
            dict(bbox=[-3.0, 4.5, 7.5, 4.5], bbox_label=0, ignore_flag=0,
                 category='PASpersonSitting', height=0.0, vis_ratio=math.inf, vis_bbox=None,
                 occlusion=-1, truncation=0.0),
            dict(bbox=[5.0, 5.0, 5.0, 9.0], bbox_label=0, ignore_flag=0, category='PASperson',
                 height=4.0, vis_ratio=math.inf, vis_bbox=None, occlusion=-1, truncation=0.0)]
    assert parse_inria_file(path) == dict(img_id='crop_000001',
                                          file_name='Test/pos/crop_000001.png', width=640,
                                          height=480, instances=inst)
    assert parse_inria_file(path, img_id=7)['img_id'] == 7
    nosize = tmp_path / 'b.txt'
    nosize.write_text('Image filename : "b.png"\n')
    assert parse_inria_file(nosize) == dict(img_id='b', file_name='b.png', width=0, height=0,
                                            instances=[])


@pytest.mark.parametrize('line,field', [
    ('Image filename : b.png', 'Image filename'),
    ('Image size (X x Y x C) : 640 by 480', 'Image size'),
    ('Bounding box for object 1 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : (1, 2) - (3)',
     'Bounding box'),
])
def test_inria_unreadable_lines_name_line_and_field(tmp_path, line, field):
    path = tmp_path / 'bad.txt'
    path.write_text(f'# PASCAL Annotation Version 1.00\n{line}\n')
    with pytest.raises(ValueError, match=re.escape(
            f"bad.txt: record line 2: field '{field}': cannot read {line!r}")):
        parse_inria_file(path)


@pytest.mark.parametrize('box', ['(5, 2) - (4, 9)', '(1, 9) - (4, 8)'])
def test_inria_inverted_box_x_or_y(tmp_path, box):
    path = tmp_path / 'inv.txt'
    path.write_text('Image filename : "a.png"\n\n'
                    f'Bounding box for object 1 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : {box}\n')
    with pytest.raises(ValueError, match=r"inv\.txt: record line 3: field 'Bounding box': "
                                         r'Xmax < Xmin or Ymax < Ymin$'):
        parse_inria_file(path)


def test_inria_missing_filename_and_folders(tmp_path):
    path = tmp_path / 'nohead.txt'
    path.write_text('Image size (X x Y x C) : 64 x 128 x 3\n')
    with pytest.raises(ValueError, match=r"nohead\.txt: record header: "
                                         r"field 'Image filename': missing$"):
        parse_inria_file(path)
    folder = tmp_path / 'annotations'
    folder.mkdir()
    with pytest.raises(ValueError, match=r"annotations: record folder: field '\*\.txt': "
                                         r'no annotation file found$'):
        parse_inria(folder)
    (folder / 'crop_2.txt').write_text('Image filename : "two.png"\n')
    (folder / 'crop_1.txt').write_text('Image filename : "one.png"\n')
    (folder / 'crop_3.lst').write_text('Image filename : "three.png"\n')
    assert [(r['img_id'], r['file_name']) for r in parse_inria(folder)] == [
        ('crop_1', 'one.png'), ('crop_2', 'two.png')]
    assert [r['file_name'] for r in parse_inria(folder / 'crop_2.txt')] == ['two.png']


# ---------------------------------------------------------------------------- auto
@pytest.mark.parametrize('name,setup', [
    ('gt-Reasonable.mat', 'Reasonable'), ('gt-All.mat', 'All'), ('gt-Occ=heavy.mat', 'Heavy'),
    ('gt-Occ=partial.mat', 'Partial'), ('gt-Scale=near.mat', 'Near'),
    ('gt-Scale=medium.mat', 'Medium'), ('gt-Scale=far.mat', 'Far'), ('gt-Small.mat', 'Small'),
    ('dir/gt-Occ=heavy.mat', 'Heavy'), ('gt-Occ=none.mat', None), ('gt-Reasonable.json', None),
    ('dt-Reasonable.mat', None), ('Reasonable.mat', None), ('xgt-All.mat', None)])
def test_dbeval_cache_setup_names(name, setup):
    assert dbeval_cache_setup(name) == setup


@pytest.mark.parametrize('protocol,func,kwargs', [
    ('citypersons', 'parse_citypersons', {}),
    ('caltech', 'parse_caltech', dict(image_set='L')),
    ('caltech_new', 'parse_caltech', dict(image_set='L', annotations='new')),
    ('kaist', 'parse_kaist', dict(image_set='L')),
    ('inria', 'parse_inria', {}),
])
def test_load_ground_truth_dispatch(monkeypatch, protocol, func, kwargs):
    calls = []

    def fake(*args, **kw):
        calls.append((func, args, kw))
        return ['records']

    monkeypatch.setattr(parsers, func, fake)
    assert load_ground_truth('P', protocol, image_set='L') == ['records']
    assert calls == [(func, ('P', ), kwargs)]


def test_load_ground_truth_real_files_and_unknown_protocol(tmp_path):
    (tmp_path / 'a.txt').write_text('Image filename : "a.png"\n')
    assert [r['img_id'] for r in load_ground_truth(tmp_path, 'inria')] == ['a']
    (tmp_path / 'set06').mkdir()
    (tmp_path / 'set06' / 'set06_V000_I00029.txt').write_text(
        '% bbGt version=3\nperson? 1 2 3 4 0 0 0 0 0 0 0\n')
    (tmp_path / 'set06' / 'set06_V000_I00059.txt').write_text('% bbGt version=3\n')
    lst = tmp_path / 'list.lst'
    lst.write_text('set06_V000_I00029\n')
    assert [[i['category'] for i in r['instances']]
            for r in load_ground_truth(tmp_path / 'set06', 'caltech_new', lst)] == [['person?']]
    assert [r['instances'] for r in load_ground_truth(tmp_path / 'set06', 'caltech')] == [[], []]
    with pytest.raises(KeyError, match=re.escape(
            "no ground-truth parser for 'mot'; choose from ['caltech', 'caltech_new', "
            "'citypersons', 'inria', 'kaist']")):
        load_ground_truth(tmp_path, 'mot')


def test_load_detections_layouts(tmp_path):
    gt = [dict(img_id='a', file_name='set06_V000_I00029'),
          dict(img_id='b', file_name='set06_V000_I00059')]
    txt = tmp_path / 'det.txt'
    txt.write_text('2,1,2,3,4,0.5\n1 5 6 7 8 0.25\n')
    assert _dets(load_detections(txt, gt)) == {'b': ([[1, 2, 3, 4]], [0.5]),
                                               'a': ([[5, 6, 7, 8]], [0.25])}
    js = tmp_path / 'det.json'
    js.write_text(json.dumps([
        dict(image_id=1, category_id=1, bbox=[1, 2, 3, 4], score=0.9),
        dict(image_id=1, category_id=2, bbox=[5, 6, 7, 8], score=0.8)]))
    assert _dets(load_detections(js, gt)) == {1: ([[1, 2, 3, 4], [5, 6, 7, 8]], [0.9, 0.8])}
    assert _dets(load_detections(js, gt, category_ids=[2])) == {1: ([[5, 6, 7, 8]], [0.8])}
    folder = tmp_path / 'res'
    (folder / 'set06').mkdir(parents=True)
    (folder / 'set06' / 'V000.txt').write_text('60 1 1 2 2 0.5\n')
    out = load_detections(folder, gt)
    assert _dets(out) == {'b': ([[1, 1, 2, 2]], [0.5])}
    assert out['b'][0].dtype == np.float64
