# Copyright (c) mmped contributors. All rights reserved.
"""Boundary cases of the annotation parsers (mmped/datasets/parsers): zero-size boxes are
valid and negative ones are errors naming file, record and field; visibility and column-count
thresholds are pinned at their exact values."""
import json
import math

import numpy as np
import pytest

from mmped.datasets.parsers import (
    bbgt_vis_ratio,
    load_kaist_txt_results,
    parse_bbgt_file,
    parse_caltech_json,
    parse_inria_file,
    parse_kitti_label,
    parse_mot_gt,
)
from mmped.datasets.parsers.common import check_box

from .parser_files import write_file as _write


def test_check_box_accepts_zero_size_and_rejects_negative(tmp_path):
    """``[x, y, w, h]`` needs ``w >= 0`` and ``h >= 0`` (a degenerate box is still a box)."""
    assert check_box('a.json', 'annotation 3', 'bbox', [1, 2, 0, 0]) == [1.0, 2.0, 0.0, 0.0]
    for box in ([1, 2, -0.5, 3], [1, 2, 3, -0.5]):
        with pytest.raises(ValueError, match=r'a\.json.*annotation 3.*bbox.*negative'):
            check_box('a.json', 'annotation 3', 'bbox', box)
    with pytest.raises(ValueError, match=r'expected \[x, y, w, h\]'):
        check_box('a.json', 'annotation 3', 'bbox', [1, 2, 3])


def test_bbgt_vis_ratio_conventions():
    """Caltech toolbox: ``inf`` without an occlusion box (``occ == 0`` or an all-zero visible
    box), 0 for a zero-area full box, else area(visible) / area(full)."""
    assert bbgt_vis_ratio(0, [0, 0, 10, 20], [0, 0, 5, 5]) == math.inf
    assert bbgt_vis_ratio(1, [0, 0, 10, 20], [0, 0, 0, 0]) == math.inf
    assert bbgt_vis_ratio(1, [0, 0, 0, 20], [0, 0, 5, 5]) == 0.0
    assert bbgt_vis_ratio(1, [0, 0, 10, 20], [1, 1, 5, 8]) == pytest.approx(0.2)
    assert bbgt_vis_ratio(1, [0, 0, 10, 20], [0, 0, 10, 20]) == pytest.approx(1.0)


def test_caltech_json_full_visibility_becomes_inf(tmp_path):
    """A ``vis_ratio`` of exactly 1 means "no occlusion box" in the toolbox (``inf``, which
    passes a ``[0.65, 1]``-style upper bound only through the inf convention); 0.999 stays."""
    data = dict(images=[dict(id=1, file_name='a.jpg', width=640, height=480)],
                annotations=[dict(id=k, image_id=1, bbox=[0, 0, 10, 20], vis_ratio=v)
                             for k, v in enumerate([1.0, 0.999, None])])
    recs = parse_caltech_json(_write(tmp_path / 'c.json', json.dumps(data)))
    assert [i['vis_ratio'] for i in recs[0]['instances']] == [math.inf, 0.999, math.inf]


def test_mot_visibility_minus_one_and_zero(tmp_path):
    """MOT gt ``visibility`` -1 (unknown) becomes ``inf``; 0 is a real (fully occluded) 0."""
    gt = _write(tmp_path / 'gt.txt', '1,1,0,0,10,20,1,1,0\n1,2,0,0,10,20,1,1,-1\n'
                                     '1,3,0,0,10,20,1,1,0.5\n')
    vis = [i['vis_ratio'] for i in parse_mot_gt(gt)[0]['instances']]
    assert vis == [0.0, math.inf, 0.5]


def test_mot_column_count_boundary(tmp_path):
    """At least 7 columns (``frame, id, x, y, w, h, flag``); missing class / visibility are -1."""
    recs = parse_mot_gt(_write(tmp_path / 'gt.txt', '2 5 1 2 3 4 1\n'))
    inst = recs[0]['instances'][0]
    assert recs[0]['img_id'].endswith('/000002') and inst['vis_ratio'] == math.inf
    assert inst['track_id'] == 5 and not inst['ignore_flag']
    with pytest.raises(ValueError, match=r'gt\.txt.*line 1.*columns.*got 6'):
        parse_mot_gt(_write(tmp_path / 'gt.txt', '2 5 1 2 3 4\n'))
    flagged = parse_mot_gt(_write(tmp_path / 'gt.txt', '1,1,0,0,10,20,0,1,1\n'))
    assert flagged[0]['instances'][0]['ignore_flag']


def test_kitti_zero_size_box_is_valid_and_inverted_box_names_the_line(tmp_path):
    """``x2 < x1`` or ``y2 < y1`` is an error; ``x2 == x1`` (zero width) is accepted."""
    row = 'Pedestrian 0.00 0 -0.20 {} 1.89 0.48 1.20 1.84 1.47 8.41 0.01\n'
    ok = parse_kitti_label(_write(tmp_path / 'a.txt', row.format('10 20 10 20')))
    assert ok[0]['bbox'] == [10.0, 20.0, 10.0, 20.0]
    for box in ('10 20 9.9 30', '10 20 30 19.9'):
        with pytest.raises(ValueError, match=r'a\.txt.*line 1.*bbox'):
            parse_kitti_label(_write(tmp_path / 'a.txt', row.format(box)))


def test_inria_zero_size_box_is_valid_and_inverted_box_names_the_line(tmp_path):
    head = 'Image filename : "Test/pos/a.png"\nImage size (X x Y x C) : 640 x 480 x 3\n'
    box = 'Bounding box for object 1 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : {}\n'
    rec = parse_inria_file(_write(tmp_path / 'a.txt', head + box.format('(5, 6) - (5, 6)')))
    assert rec['instances'][0]['bbox'] == [5.0, 6.0, 5.0, 6.0]
    with pytest.raises(ValueError, match=r'a\.txt.*line 3.*Bounding box'):
        parse_inria_file(_write(tmp_path / 'a.txt', head + box.format('(5, 6) - (4, 7)')))


@pytest.mark.parametrize('version,ncols', [(0, 10), (2, 11), (3, 12)])
def test_bbgt_column_count_per_version(tmp_path, version, ncols):
    """bbGt v0/v1 rows have 10 fields, v2 11 (+ ignore), v3 12 (+ angle): exactly that many
    parse, one fewer is an error naming the line; the ignore column exists from v2 on."""
    vals = ['person', '1', '2', '3', '4', '1', '1', '2', '3', '2', '1', '0'][:ncols]
    text = f'% bbGt version={version}\n' + ' '.join(vals) + '\n'
    inst = parse_bbgt_file(_write(tmp_path / 'f.txt', text))[0]
    assert inst['ignore_flag'] == (1 if version >= 2 else 0)
    assert inst['vis_ratio'] == pytest.approx(6 / 12)
    short = f'% bbGt version={version}\n' + ' '.join(vals[:-1]) + '\n'
    with pytest.raises(ValueError, match=rf'f\.txt.*line 2.*expected {ncols} columns'):
        parse_bbgt_file(_write(tmp_path / 'f.txt', short))


def test_bbgt_zero_size_box_valid_negative_rejected(tmp_path):
    row = '% bbGt version=3\nperson 1 2 {} {} 0 0 0 0 0 0 0\n'
    assert parse_bbgt_file(_write(tmp_path / 'f.txt', row.format(0, 0)))[0]['bbox'] == [
        1.0, 2.0, 1.0, 2.0]
    with pytest.raises(ValueError, match=r'f\.txt.*line 2.*bbox'):
        parse_bbgt_file(_write(tmp_path / 'f.txt', row.format(-1, 0)))


def test_kaist_result_image_index_range(tmp_path):
    """Result indices are 1-based: 1 and ``len(img_ids)`` are valid, 0 and ``len + 1`` are
    errors naming the file and the offending line."""
    ok = _write(tmp_path / 'det.txt', '1,0,0,10,20,0.9\n3,1,1,5,5,0.5\n')
    res = load_kaist_txt_results(ok, ['a', 'b', 'c'])
    assert sorted(res) == ['a', 'c']
    np.testing.assert_allclose(res['c'][0], [[1, 1, 5, 5]])
    for bad in ('0,0,0,10,20,0.9\n', '4,0,0,10,20,0.9\n'):
        with pytest.raises(ValueError, match=r'bad\.txt'):
            load_kaist_txt_results(_write(tmp_path / 'bad.txt', bad), ['a', 'b', 'c'])
    assert sorted(load_kaist_txt_results(ok)) == [0, 2]
