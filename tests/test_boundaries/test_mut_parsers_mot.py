# Copyright (c) mmped contributors. All rights reserved.
"""MOTChallenge ``gt.txt`` parser: exact records on small sequences in the real layout.

Facts followed (MOTChallenge devkit and the MOT16/17 paper's ground-truth format):

- rows ``frame, id, x, y, w, h, flag, class, visibility``; MOT15 rows carry ``-1`` for
  class and visibility (and 3D columns after them);
- class 1 is a pedestrian; 2 (person on vehicle), 7 (static person), 8 (distractor) and
  12 (reflection) are ambiguous people, ignored by the evaluation; other classes are not
  people; a row with ``flag = 0`` is not evaluated;
- ``seqinfo.ini``'s ``seqLength`` fixes the frames of a sequence (1 ... seqLength).
"""
import math
import re

import pytest

from mmped.datasets.parsers.mot import parse_mot, parse_mot_gt

from .parser_files import error_prefix as _err
from .parser_files import write_file as _write


def _gt(root, seq, text, ini=None):
    path = _write(root / seq / 'gt' / 'gt.txt', text)
    if ini is not None:
        _write(root / seq / 'seqinfo.ini', ini)
    return path


def _summary(recs):
    return [(r['img_id'], r['file_name'], r['width'], r['height'],
             [(i['track_id'], i['category'], i['ignore_flag'], i['mot_class'], i['mot_flag'])
              for i in r['instances']]) for r in recs]


ROWS = ('2,1,10,20,30,60,1,1,0.5\n'
        '1,2,0,0,5,10,1,2,1\n'
        '2,3,0,0,5,10,0,1,1\n'
        '1,4,0,0,5,10,1,3,1\n'
        '2,5,0,0,5,10,1,7,0.0\n'
        '2,6,0,0,5,10,1,8,1\n'
        '2,7,0,0,5,10,1,12,1\n'
        '3,8,0,0,5,10,1,13,1\n')


def test_classes_flags_and_frames(tmp_path):
    path = _gt(tmp_path, 'MOT17-02', ROWS)
    recs = parse_mot_gt(path)
    assert _summary(recs) == [
        ('MOT17-02/000001', 'MOT17-02/img1/000001.jpg', 0, 0, [(2, 'class2', 1, 2, 1)]),
        ('MOT17-02/000002', 'MOT17-02/img1/000002.jpg', 0, 0, [
            (1, 'pedestrian', 0, 1, 1), (3, 'class1', 1, 1, 0), (5, 'class7', 1, 7, 1),
            (6, 'class8', 1, 8, 1), (7, 'class12', 1, 12, 1)]),
        # the frame exists although its only row (a crowd) is dropped
        ('MOT17-02/000003', 'MOT17-02/img1/000003.jpg', 0, 0, [])]
    ped = recs[1]['instances'][0]
    assert (ped['bbox'], ped['height'], ped['vis_ratio'], ped['vis_bbox']) == \
        ([10.0, 20.0, 40.0, 80.0], 60.0, 0.5, None)
    # visibility 0 is kept as 0 (only -1 means unknown)
    assert recs[1]['instances'][2]['vis_ratio'] == 0.0


def test_keep_all_classes(tmp_path):
    path = _gt(tmp_path, 'MOT17-02', ROWS)
    recs = parse_mot_gt(path, keep_all_classes=True)
    assert [[(i['track_id'], i['category'], i['ignore_flag']) for i in r['instances']]
            for r in recs] == [
        [(2, 'class2', 1), (4, 'class3', 1)],
        [(1, 'pedestrian', 0), (3, 'class1', 1), (5, 'class7', 1), (6, 'class8', 1),
         (7, 'class12', 1)],
        [(8, 'class13', 1)]]
    assert parse_mot(path, keep_all_classes=True) == recs
    assert parse_mot(tmp_path, keep_all_classes=True) == recs
    assert parse_mot(path) == parse_mot_gt(path)


def test_mot15_rows(tmp_path):
    """MOT15: class and visibility -1 (pedestrian, visibility unknown), 10 columns."""
    path = _gt(tmp_path, 'TUD-Stadtmitte', '1,1,1.5,2.5,10,20,1,-1,-1,-1\n'
               '1,2,0,0,10,20,0,-1,-1,-1\n')
    a, b = parse_mot_gt(path)[0]['instances']
    assert (a['bbox'], a['category'], a['ignore_flag'], a['mot_class']) == \
        ([1.5, 2.5, 11.5, 22.5], 'pedestrian', 0, -1)
    assert math.isinf(a['vis_ratio'])
    assert (b['category'], b['ignore_flag']) == ('class-1', 1)


@pytest.mark.parametrize('text,cls,vis', [
    ('1 1 0 0 5 10 1\n', -1, math.inf),  # 7 columns: class and visibility unknown
    ('1 1 0 0 5 10 1 1\n', 1, math.inf),  # 8 columns: visibility unknown
    ('1 1 0 0 5 10 1 1 0.25\n', 1, 0.25),
])
def test_short_rows_are_padded(tmp_path, text, cls, vis):
    inst, = parse_mot_gt(_gt(tmp_path, 'S', text))[0]['instances']
    assert (inst['mot_class'], inst['vis_ratio'], inst['ignore_flag']) == (cls, vis, 0)


def test_row_errors_name_the_line(tmp_path):
    path = _gt(tmp_path, 'S', '1,1,0,0,5,10,1,1,1\n\n1,1,0,0,5,10\n')
    with pytest.raises(ValueError, match=_err(path, 'line 3', 'columns') +
                       'expected >= 7, got 6$'):
        parse_mot_gt(path)
    path = _gt(tmp_path, 'S', '\n1,1,0,0,5,x,1,1,1\n')
    with pytest.raises(ValueError, match=_err(path, 'line 2', 'values') + re.escape(
            "not numeric: '1,1,0,0,5,x,1,1,1'")):
        parse_mot_gt(path)
    # only the first 9 columns are read
    path = _gt(tmp_path, 'S', '1,1,0,0,5,10,1,1,1,x\n')
    assert len(parse_mot_gt(path)[0]['instances']) == 1


def test_sequence_name_and_image_folder(tmp_path):
    path = _gt(tmp_path, 'MOT17-04', '3,1,0,0,5,10,1,1,1\n')
    assert [(r['img_id'], r['file_name']) for r in parse_mot_gt(path)] == \
        [('MOT17-04/000003', 'MOT17-04/img1/000003.jpg')]
    assert [(r['img_id'], r['file_name'])
            for r in parse_mot_gt(path, seq_name='X', img_dir='images')] == \
        [('X/000003', 'X/images/000003.jpg')]
    # a gt.txt outside gt/: the sequence is the file's folder
    flat = _write(tmp_path / 'flat' / 'gt.txt', '12,1,0,0,5,10,1,1,1\n')
    assert [r['img_id'] for r in parse_mot_gt(flat)] == ['flat/000012']
    assert parse_mot_gt(_write(tmp_path / 'empty' / 'gt.txt', '')) == []


def test_seqinfo_length_fixes_the_frames(tmp_path):
    ini = '[Sequence]\nname=MOT17-09\nimDir=img1\nframeRate=30\n seqLength = 4\nimWidth=1920\n'
    path = _gt(tmp_path, 'MOT17-09', '2,1,0,0,5,10,1,1,1\n', ini)
    recs = parse_mot_gt(path)
    assert [(r['img_id'], len(r['instances'])) for r in recs] == [
        ('MOT17-09/000001', 0), ('MOT17-09/000002', 1), ('MOT17-09/000003', 0),
        ('MOT17-09/000004', 0)]
    _write(tmp_path / 'MOT17-09' / 'seqinfo.ini', '[Sequence]\nSEQLENGTH=1\n')
    assert [r['img_id'] for r in parse_mot_gt(path)] == ['MOT17-09/000001']
    # an ini without seqLength keeps the frames of the file
    _write(tmp_path / 'MOT17-09' / 'seqinfo.ini', '[Sequence]\nname=MOT17-09\nlength=9\n')
    assert [r['img_id'] for r in parse_mot_gt(path)] == ['MOT17-09/000002']


def test_split_folder(tmp_path):
    _gt(tmp_path, 'MOT17-09', '1,1,0,0,5,10,1,1,1\n')
    _gt(tmp_path, 'MOT17-02', '2,1,0,0,5,10,1,1,1\n1,2,0,0,5,10,1,3,1\n')
    _write(tmp_path / 'MOT17-05' / 'det' / 'det.txt', '1,-1,0,0,5,10,1,-1,-1\n')
    recs = parse_mot(tmp_path)
    assert [(r['img_id'], len(r['instances'])) for r in recs] == [
        ('MOT17-02/000001', 0), ('MOT17-02/000002', 1), ('MOT17-09/000001', 1)]
    recs = parse_mot(str(tmp_path), keep_all_classes=True)
    assert [(r['img_id'], len(r['instances'])) for r in recs] == [
        ('MOT17-02/000001', 1), ('MOT17-02/000002', 1), ('MOT17-09/000001', 1)]
    (tmp_path / 'none').mkdir()
    with pytest.raises(ValueError, match=_err(tmp_path / 'none', 'folder', '<seq>/gt/gt.txt') +
                       'no sequence found'):
        parse_mot(tmp_path / 'none')
