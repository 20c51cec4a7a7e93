# Copyright (c) mmped contributors. All rights reserved.
"""KITTI ``label_2`` parser, result reader and writer on small files in the real layout.

The layout follows the KITTI object devkit (``readme.txt``): ``type truncated occluded alpha
x1 y1 x2 y2 h w l x y z ry`` plus ``score`` in result files; the devkit reads the corners as
written; only ``Pedestrian`` rows are evaluated by the pedestrian task. Degenerate boxes
(``x2 == x1``) are valid, ``x2 < x1`` is not. Messages are compared in full.
"""
import re

import numpy as np
import pytest

from mmped.datasets.parsers.kitti import (
    KITTI_TYPES,
    format_kitti_results,
    load_kitti_results,
    parse_kitti,
    parse_kitti_label,
    write_kitti_results,
)

TAIL = '1.72 0.57 0.81 1.0 1.5 8.4 0.01'


def _exact(msg):
    return '^' + re.escape(msg) + '$'


def _row(typ='Pedestrian', trunc='0.00', occ='0', box='712.40 143.00 810.73 307.92',
         score=None):
    s = f'{typ} {trunc} {occ} -0.20 {box} {TAIL}'
    return s if score is None else f'{s} {score}'


def _write(path, *lines):
    path.write_text('\n'.join(lines) + '\n')
    return path


# ------------------------------------------------------------------------- parse_kitti_label
def test_label_rows_are_parsed_exactly(tmp_path):
    f = _write(tmp_path / '000001.txt',
               _row(trunc='0.25', occ='2'),
               '',
               _row('Car', '0.50', '1', '0.00 1.50 100.25 50.00'),
               _row('DontCare', '-1', '-1', '10.0 20.0 30.0 40.0', score='0.9'))
    out = parse_kitti_label(f)
    assert out == [
        dict(bbox=[712.40, 143.00, 810.73, 307.92], bbox_label=0, ignore_flag=0,
             category='Pedestrian', height=307.92 - 143.00, vis_ratio=float('inf'),
             vis_bbox=None, occlusion=2, truncation=0.25, kitti_type='Pedestrian'),
        dict(bbox=[0.0, 1.5, 100.25, 50.0], bbox_label=0, ignore_flag=1, category='Car',
             height=48.5, vis_ratio=float('inf'), vis_bbox=None, occlusion=1,
             truncation=0.5, kitti_type='Car'),
        dict(bbox=[10.0, 20.0, 30.0, 40.0], bbox_label=0, ignore_flag=1, category='DontCare',
             height=20.0, vis_ratio=float('inf'), vis_bbox=None, occlusion=-1,
             truncation=-1.0, kitti_type='DontCare')]
    # the corners are kept as written, not rebuilt as x1 + (x2 - x1)
    assert out[0]['bbox'][2] == 810.73


def test_every_kitti_type_is_accepted_and_only_pedestrian_is_evaluated(tmp_path):
    assert KITTI_TYPES == ('Car', 'Van', 'Truck', 'Pedestrian', 'Person_sitting', 'Cyclist',
                           'Tram', 'Misc', 'DontCare')
    f = _write(tmp_path / 'a.txt', *(_row(t) for t in KITTI_TYPES))
    out = parse_kitti_label(f)
    assert [o['kitti_type'] for o in out] == list(KITTI_TYPES)
    assert [o['ignore_flag'] for o in out] == [int(t != 'Pedestrian') for t in KITTI_TYPES]


def test_occluded_is_an_int_and_degenerate_boxes_are_valid(tmp_path):
    f = _write(tmp_path / 'a.txt', _row(occ='3.0', box='5 6 5 6'))
    (o,) = parse_kitti_label(f)
    assert o['occlusion'] == 3 and type(o['occlusion']) is int
    assert o['bbox'] == [5.0, 6.0, 5.0, 6.0] and o['height'] == 0.0


def test_empty_label_file_gives_no_object(tmp_path):
    assert parse_kitti_label(_write(tmp_path / 'a.txt', '', '  ')) == []


@pytest.mark.parametrize('line, msg', [
    (_row() + ' 0.5 0.5', "line 3: field 'columns': expected 15, got 17"),
    (_row().rsplit(' ', 1)[0], "line 3: field 'columns': expected 15, got 14"),
    (_row('Person'), "line 3: field 'type': unknown type 'Person'"),
    (_row('pedestrian'), "line 3: field 'type': unknown type 'pedestrian'"),
    (_row(trunc='a'), "line 3: field 'truncated': not a number: 'a'"),
    (_row(occ='b'), "line 3: field 'occluded': not a number: 'b'"),
    (_row(box='x 2 3 4'), "line 3: field 'x1': not a number: 'x'"),
    (_row(box='1 y 3 4'), "line 3: field 'y1': not a number: 'y'"),
    (_row(box='1 2 z 4'), "line 3: field 'x2': not a number: 'z'"),
    (_row(box='1 2 3 nan'), "line 3: field 'y2': NaN"),
    (_row(box='5 2 4.99 4'), "line 3: field 'bbox': x2 < x1 or y2 < y1"),
    (_row(box='1 5 3 4.99'), "line 3: field 'bbox': x2 < x1 or y2 < y1"),
])
def test_label_errors_name_file_line_and_field(tmp_path, line, msg):
    f = _write(tmp_path / '000007.txt', _row(), '', line)
    with pytest.raises(ValueError, match=_exact(f'{f}: record {msg}')):
        parse_kitti_label(f)


# ------------------------------------------------------------------------------- parse_kitti
def _folder(tmp_path):
    root = tmp_path / 'label_2'
    root.mkdir()
    _write(root / '000002.txt', _row())
    _write(root / '000000.txt', _row('Car'), _row())
    _write(root / '000001.txt', '')
    (root / '000003.png').write_bytes(b'')
    return root


def test_folder_ids_are_sorted_stems_of_txt_files(tmp_path):
    root = _folder(tmp_path)
    recs = parse_kitti(root)
    assert [(r['img_id'], r['file_name'], r['width'], r['height'], len(r['instances']))
            for r in recs] == [('000000', '000000.png', 0, 0, 2), ('000001', '000001.png', 0, 0, 0),
                               ('000002', '000002.png', 0, 0, 1)]
    assert recs[0]['instances'] == parse_kitti_label(root / '000000.txt')


def test_image_set_and_explicit_ids(tmp_path):
    root = _folder(tmp_path)
    split = _write(tmp_path / 'val.txt', ' 000002 ', '', '000000')
    assert [r['img_id'] for r in parse_kitti(str(root), image_set=split)] == ['000002', '000000']
    assert [r['img_id'] for r in parse_kitti(root, image_set=split, ids=['000001'])] == ['000001']
    assert [r['img_id'] for r in parse_kitti(root, ids=('000002',))] == ['000002']


def test_folder_errors(tmp_path):
    root = _folder(tmp_path)
    with pytest.raises(ValueError, match=_exact(
            f"{root / '000009.txt'}: record 000009: field 'label file': missing")):
        parse_kitti(root, ids=['000000', '000009'])
    with pytest.raises(ValueError, match=_exact(
            f"{root}: record folder: field '*.txt': no label file found")):
        parse_kitti(root, ids=[])
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'a.png').write_bytes(b'')
    with pytest.raises(ValueError, match=_exact(
            f"{empty}: record folder: field '*.txt': no label file found")):
        parse_kitti(empty)
    blank = _write(tmp_path / 'blank.txt', '', ' ')
    with pytest.raises(ValueError, match=_exact(
            f"{root}: record folder: field '*.txt': no label file found")):
        parse_kitti(root, image_set=blank)


# ------------------------------------------------------------------------ load_kitti_results
def _gt(*ids):
    return [dict(img_id=i, instances=[]) for i in ids]


def test_results_keep_pedestrian_rows_as_written(tmp_path):
    res = tmp_path / 'res'
    res.mkdir()
    _write(res / '000001.txt', _row(score='0.75'), '', _row('Car', score='0.9'),
           _row(box='1.5 2.5 1.5 2.5', score='-3'))
    _write(res / '000002.txt', '')
    _write(res / '000099.txt', _row(score='0.1'))  # not GT images: skipped, before and after
    _write(res / '000000.txt', _row(score='0.1'))
    (res / '000001.png').write_bytes(b'junk')
    out = load_kitti_results(res, _gt('000001', '000002', '000003'))
    assert list(out) == ['000001', '000002']
    boxes, scores = out['000001']
    assert boxes.dtype == np.float64 and scores.dtype == np.float64
    np.testing.assert_array_equal(boxes, [[712.40, 143.00, 810.73, 307.92], [1.5, 2.5, 1.5, 2.5]])
    np.testing.assert_array_equal(scores, [0.75, -3.0])
    boxes, scores = out['000002']
    assert boxes.shape == (0, 4) and scores.shape == (0,)
    assert boxes.dtype == np.float64 and scores.dtype == np.float64


def test_results_map_file_stems_to_the_gt_id_objects(tmp_path):
    res = tmp_path / 'res'
    res.mkdir()
    _write(res / '7.txt', _row(score='1'))
    out = load_kitti_results(str(res), _gt(7, 8))
    assert list(out) == [7] and type(list(out)[0]) is int


def test_results_folder_errors(tmp_path):
    f = _write(tmp_path / 'r.txt', '')
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record folder: field 'results': expected a folder of <id>.txt files")):
        load_kitti_results(f, _gt('r'))
    res = tmp_path / 'res'
    res.mkdir()
    (res / 'a.json').write_text('{}')
    with pytest.raises(ValueError, match=_exact(
            f"{res}: record folder: field '*.txt': no result file found")):
        load_kitti_results(res, _gt('a'))
    for name in ('x1', 'x2', 'x3'):
        _write(res / f'{name}.txt', '')
    with pytest.raises(ValueError, match=_exact(
            f"{res}: record folder: field 'ids': none of the 3 result files (e.g. ['x1', 'x2']) "
            "is a ground-truth image (e.g. ['000001', '2'])")):
        load_kitti_results(res, _gt('000001', 2, '000003'))


@pytest.mark.parametrize('line, msg', [
    (_row(), "field 'columns': expected 16 (label_2 + score), got 15"),
    (_row(score='1 2'), "field 'columns': expected 16 (label_2 + score), got 17"),
    (_row(box='a 2 3 4', score='1'), "field 'x1': not a number: 'a'"),
    (_row(box='1 b 3 4', score='1'), "field 'y1': not a number: 'b'"),
    (_row(box='1 2 c 4', score='1'), "field 'x2': not a number: 'c'"),
    (_row(box='1 2 3 d', score='1'), "field 'y2': not a number: 'd'"),
    (_row(score='s'), "field 'score': not a number: 's'"),
    (_row(score='inf'), "field 'bbox/score': not finite or x2 < x1 / y2 < y1: "
                        '[712.4, 143.0, 810.73, 307.92, inf]'),
    (_row(box='1 2 3 -inf', score='1'), "field 'bbox/score': not finite or x2 < x1 / y2 < y1: "
                                        '[1.0, 2.0, 3.0, -inf, 1.0]'),
    (_row(box='3 2 2.99 4', score='1'), "field 'bbox/score': not finite or x2 < x1 / y2 < y1: "
                                        '[3.0, 2.0, 2.99, 4.0, 1.0]'),
    (_row(box='1 4 3 3.99', score='1'), "field 'bbox/score': not finite or x2 < x1 / y2 < y1: "
                                        '[1.0, 4.0, 3.0, 3.99, 1.0]'),
])
def test_result_row_errors_name_file_line_and_field(tmp_path, line, msg):
    res = tmp_path / 'res'
    res.mkdir()
    f = _write(res / '000004.txt', _row(score='1'), '', line)
    with pytest.raises(ValueError, match=_exact(f'{f}: record line 3: {msg}')):
        load_kitti_results(res, _gt('000004'))


def test_non_pedestrian_rows_are_skipped_before_their_values_are_checked(tmp_path):
    res = tmp_path / 'res'
    res.mkdir()
    _write(res / '000004.txt', _row('Car', box='5 5 1 1', score='x'))
    boxes, scores = load_kitti_results(res, _gt('000004'))['000004']
    assert boxes.shape == (0, 4) and scores.shape == (0,)


# ---------------------------------------------------------------------- format / write results
def test_format_rows_two_decimals_and_unknown_3d_fields():
    text = format_kitti_results(np.array([[1.004, 2.5, 30.126, 40]]), [0.98765])
    assert text == ('Pedestrian -1 -1 -10 1.00 2.50 30.13 40.00 -1 -1 -1 -1000 -1000 -1000 -10 '
                    '0.99\n')
    two = format_kitti_results([1, 2, 3, 4, 5, 6, 7, 8], np.array([[0.5], [0.25]]))
    assert two.splitlines() == [
        'Pedestrian -1 -1 -10 1.00 2.00 3.00 4.00 -1 -1 -1 -1000 -1000 -1000 -10 0.50',
        'Pedestrian -1 -1 -10 5.00 6.00 7.00 8.00 -1 -1 -1 -1000 -1000 -1000 -10 0.25']
    assert format_kitti_results(np.zeros((0, 4)), np.zeros(0)) == ''


def test_written_results_read_back(tmp_path):
    out = tmp_path / 'a' / 'b'
    dets = {'000001': (np.array([[1, 2, 3, 4]]), np.array([0.5]))}
    files = write_kitti_results(out, dets, ['000001', '000002'])
    assert files == [out / '000001.txt', out / '000002.txt']
    assert (out / '000002.txt').read_bytes() == b''
    assert (out / '000001.txt').read_text() == format_kitti_results([[1, 2, 3, 4]], [0.5])
    back = load_kitti_results(out, _gt('000001', '000002'))
    np.testing.assert_array_equal(back['000001'][0], [[1, 2, 3, 4]])
    np.testing.assert_array_equal(back['000001'][1], [0.5])
    assert back['000002'][0].shape == (0, 4)
    assert sorted(p.name for p in out.iterdir()) == ['000001.txt', '000002.txt']


def test_writer_accepts_an_empty_folder_and_refuses_anything_else(tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert write_kitti_results(empty, {}, ['1']) == [empty / '1.txt']
    with pytest.raises(ValueError, match=_exact(
            f'{empty}: exists and is not an empty folder; refusing to write KITTI results '
            'into it')):
        write_kitti_results(empty, {}, ['2'])
    assert not (empty / '2.txt').exists()
    f = _write(tmp_path / 'file', 'keep')
    with pytest.raises(ValueError, match=_exact(
            f'{f}: exists and is not an empty folder; refusing to write KITTI results into it')):
        write_kitti_results(f, {}, ['2'])
    assert f.read_text() == 'keep\n'
