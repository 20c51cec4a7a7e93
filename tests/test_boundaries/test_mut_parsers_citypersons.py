# Copyright (c) mmped contributors. All rights reserved.
"""CityPersons annotation parsers: exact records on small files in the three real layouts.

Facts followed (the CityPersons annotation readme and the official evaluation script
``eval_MR_multisetup.py`` with its ``val_gt.json``):

- ``anno_*.mat`` rows ``[class, x1, y1, w, h, instance_id, x1_vis, y1_vis, w_vis, h_vis]``,
  class 0 ignore region, 1 pedestrian, 2 rider, 3 sitting person, 4 other person, 5 group;
  images are 2048 x 1024; the cell index (1-based) is the ``val_gt.json`` image id;
- only pedestrians are evaluated, every other class is an ignore region (``ignore=1``);
- ``vis_ratio`` = area(visible box) / area(full box), ``height`` = full box height.
"""
import json
import re

import numpy as np
import pytest

from mmped.datasets.parsers.citypersons import (
    parse_citypersons,
    parse_citypersons_bbox_dir,
    parse_citypersons_json,
    parse_citypersons_mat,
)

from .parser_files import error_prefix as _err

F1 = 'frankfurt_000000_000294_leftImg8bit.png'
F2 = 'lindau_000001_000019_leftImg8bit.png'


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def _fields(inst):
    return (inst['bbox'], inst['ignore_flag'], inst['category'], inst['height'],
            inst['vis_ratio'], inst['vis_bbox'])


# ------------------------------------------------------------------ val_gt.json
def test_json_records(tmp_path):
    images = [dict(id=1, im_name=F1, file_name='ignored.png', width=2048, height=1024),
              dict(id=2, file_name=f'leftImg8bit/val/lindau/{F2}')]
    anns = [
        dict(id=10, image_id=1, bbox=[10, 20, 30, 60], vis_bbox=[10, 20, 30, 30],
             height=60, vis_ratio=0.5, ignore=0),
        dict(id=11, image_id=1, bbox=[0, 0, 10, 20], vis_bbox=[0, 0, 5, 10], ignore=1),
        dict(id=12, image_id=2, bbox=[1, 2, 3, 4], iscrowd=1),
        dict(image_id=2, bbox=[5, 5, 10, 40], vis_bbox=[5, 5, 10, 10], height='41',
             vis_ratio='0.3'),
    ]
    path = _write_json(tmp_path / 'val_gt.json', dict(images=images, annotations=anns))
    r1, r2 = parse_citypersons_json(path)
    assert (r1['img_id'], r1['file_name'], r1['width'], r1['height']) == \
        (1, f'frankfurt/{F1}', 2048, 1024)
    assert (r2['img_id'], r2['file_name'], r2['width'], r2['height']) == \
        (2, f'lindau/{F2}', 0, 0)
    a, b = r1['instances']
    assert _fields(a) == ([10.0, 20.0, 40.0, 80.0], 0, 'pedestrian', 60.0, 0.5,
                          [10.0, 20.0, 40.0, 50.0])
    assert a['ann_id'] == 10
    # height and vis_ratio derived from the boxes when absent
    assert _fields(b) == ([0.0, 0.0, 10.0, 20.0], 1, 'ignore', 20.0, 0.25,
                          [0.0, 0.0, 5.0, 10.0])
    c, d = r2['instances']
    # iscrowd also marks an ignore region; no visible box: vis_ratio 1
    assert _fields(c) == ([1.0, 2.0, 4.0, 6.0], 1, 'ignore', 4.0, 1.0, None)
    assert c['ann_id'] == 12
    # numeric strings are read as numbers
    assert _fields(d) == ([5.0, 5.0, 15.0, 45.0], 0, 'pedestrian', 41.0, 0.3,
                          [5.0, 5.0, 15.0, 15.0])
    assert d['ann_id'] is None
    assert type(d['height']) is float and type(a['height']) is float
    assert parse_citypersons(path) == [r1, r2]


def test_json_zero_area_box_has_vis_ratio_0(tmp_path):
    anns = [dict(image_id=1, bbox=[3, 3, 0, 10], vis_bbox=[3, 3, 0, 5]),
            dict(image_id=1, bbox=[3, 3, 10, 0], vis_bbox=[3, 3, 5, 0])]
    path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=1, im_name=F1)],
                                                   annotations=anns))
    assert [i['vis_ratio'] for i in parse_citypersons_json(path)[0]['instances']] == [0.0, 0.0]


def test_json_image_errors(tmp_path):
    for img in (dict(id=3), dict(im_name=F1)):
        path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=1, im_name=F1), img],
                                                      annotations=[]))
        with pytest.raises(ValueError, match=_err(path, 'image 1', 'im_name/id') + 'missing$'):
            parse_citypersons_json(path)
    path = _write_json(tmp_path / 'gt.json', dict(
        images=[dict(id=1, im_name=F1)], annotations=[
            dict(image_id=1, bbox=[0, 0, 1, 1]), dict(image_id=7, bbox=[0, 0, 1, 1])]))
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', 'image_id') +
                       'unknown image 7$'):
        parse_citypersons_json(path)


@pytest.mark.parametrize('key,bad,detail', [
    ('bbox', [0, 0, -1, 5], 'negative width/height'),
    ('bbox', [0, 0, 5, -1], 'negative width/height'),
    ('bbox', [0, 'a', 5, 5], 'not a number'),
    ('bbox', [0, 0, 5], 'expected [x, y, w, h]'),
    ('bbox', None, 'expected [x, y, w, h], got None'),
    ('bbox', [0, {}, 5, 5], 'not a number'),
    ('bbox', [float('nan'), 0, 5, 5], 'NaN'),
    ('vis_bbox', [0, 0, -1, 5], 'negative width/height'),
    ('vis_bbox', [0, 0, 5, 'x'], 'not a number'),
])
def test_json_bad_boxes_name_annotation_and_field(tmp_path, key, bad, detail):
    good = dict(image_id=1, bbox=[0, 0, 5, 5], vis_bbox=[0, 0, 5, 5])
    anns = [good, dict(good, **{key: bad})]
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(dict(images=[dict(id=1, im_name=F1)], annotations=anns)))
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', key) + re.escape(detail)):
        parse_citypersons_json(path)


def test_json_bad_vis_box_with_some_vis_boxes_absent(tmp_path):
    anns = [dict(image_id=1, bbox=[0, 0, 5, 5]),
            dict(image_id=1, bbox=[0, 0, 5, 5], vis_bbox=[0, 0, 5, -2])]
    path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=1, im_name=F1)],
                                                   annotations=anns))
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', 'vis_bbox') +
                       re.escape('negative width/height')):
        parse_citypersons_json(path)


def test_json_zero_sized_boxes_are_accepted(tmp_path):
    anns = [dict(image_id=1, bbox=[1, 2, 0, 0], vis_bbox=[1, 2, 0, 0], height=0, vis_ratio=0)]
    path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=1, im_name=F1)],
                                                   annotations=anns))
    inst, = parse_citypersons_json(path)[0]['instances']
    assert _fields(inst) == ([1.0, 2.0, 1.0, 2.0], 0, 'pedestrian', 0.0, 0.0, [1.0, 2.0, 1.0, 2.0])


@pytest.mark.parametrize('key', ['height', 'vis_ratio'])
def test_json_bad_height_or_vis_ratio(tmp_path, key):
    anns = [dict(image_id=1, bbox=[0, 0, 5, 5]), dict(image_id=1, bbox=[0, 0, 5, 5], **{key: 'x'})]
    path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=1, im_name=F1)],
                                                   annotations=anns))
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', key) + "not a number: 'x'"):
        parse_citypersons_json(path)


# ------------------------------------------------------------------ anno_*.mat
def _mat(path, cells, var='anno_val_aligned', extra=None):
    from scipy.io import savemat

    arr = np.empty((1, len(cells)), dtype=object)
    for i, c in enumerate(cells):
        arr[0, i] = c
    savemat(str(path), {var: arr, **(extra or {})})
    return path


def _cell(city, name, rows):
    return dict(cityname=city, im_name=name, bbs=np.asarray(rows, dtype=np.float64).reshape(-1, 10))


def test_mat_records_and_classes(tmp_path):
    rows = [[c, 10 * c, 20, 30, 60, 100 + c, 10 * c, 20, 30, 30] for c in range(6)]
    path = _mat(tmp_path / 'anno_val.mat', [_cell('frankfurt', F1, rows),
                                            _cell('lindau', F2, np.zeros((0, 10)))])
    r1, r2 = parse_citypersons_mat(path)
    assert (r1['img_id'], r1['file_name'], r1['width'], r1['height']) == \
        (1, f'frankfurt/{F1}', 2048, 1024)
    assert (r2['img_id'], r2['file_name'], r2['instances']) == (2, f'lindau/{F2}', [])
    assert [(i['category'], i['ignore_flag'], i['instance_id']) for i in r1['instances']] == [
        ('ignore', 1, 100), ('pedestrian', 0, 101), ('rider', 1, 102), ('sitting', 1, 103),
        ('other', 1, 104), ('group', 1, 105)]
    ped = r1['instances'][1]
    assert _fields(ped) == ([10.0, 20.0, 40.0, 80.0], 0, 'pedestrian', 60.0, 0.5,
                            [10.0, 20.0, 40.0, 50.0])
    assert parse_citypersons(path) == [r1, r2]


def test_mat_zero_area_and_zero_size(tmp_path):
    path = _mat(tmp_path / 'a.mat', [_cell('frankfurt', F1, [[1, 5, 5, 0, 10, 1, 5, 5, 0, 0]])])
    inst, = parse_citypersons_mat(path)[0]['instances']
    assert (inst['bbox'], inst['vis_ratio']) == ([5.0, 5.0, 5.0, 15.0], 0.0)


def test_mat_unknown_class(tmp_path):
    rows = [[1, 0, 0, 1, 1, 0, 0, 0, 1, 1], [6, 0, 0, 1, 1, 0, 0, 0, 1, 1]]
    path = _mat(tmp_path / 'a.mat', [_cell('a', 'b', [rows[0]]), _cell('a', 'b', rows)])
    with pytest.raises(ValueError, match=_err(path, 'image 1 row 1', 'class') +
                       'unknown class 6$'):
        parse_citypersons_mat(path)
    path = _mat(tmp_path / 'b.mat', [_cell('a', 'b', [[-1, 0, 0, 1, 1, 0, 0, 0, 1, 1]])])
    with pytest.raises(ValueError, match='unknown class -1'):
        parse_citypersons_mat(path)


@pytest.mark.parametrize('col', [3, 4, 8, 9])
def test_mat_negative_sizes(tmp_path, col):
    good = [1, 0, 0, 1, 1, 0, 0, 0, 1, 1]
    bad = list(good)
    bad[col] = -1
    path = _mat(tmp_path / 'a.mat', [_cell('a', 'b', [good]), _cell('a', 'b', [good, good, bad])])
    with pytest.raises(ValueError, match=_err(path, 'image 1 row 2', 'bbs') + re.escape(
            f'box not finite or of negative size: {[float(v) for v in bad]}')):
        parse_citypersons_mat(path)


@pytest.mark.parametrize('col', [1, 2, 3, 4, 6, 7, 8, 9])
def test_mat_non_finite_boxes(tmp_path, col):
    bad = [1, 0, 0, 1, 1, 0, 0, 0, 1, 1]
    bad[col] = np.inf
    path = _mat(tmp_path / 'a.mat', [_cell('a', 'b', [bad])])
    with pytest.raises(ValueError, match=_err(path, 'image 0 row 0', 'bbs')):
        parse_citypersons_mat(path)


def test_mat_non_finite_other_columns_are_not_checked(tmp_path):
    path = _mat(tmp_path / 'a.mat', [_cell('a', 'b', [[1, 0, 0, 1, 1, 7, 0, 0, 1, 1]])])
    assert parse_citypersons_mat(path)[0]['instances'][0]['instance_id'] == 7


def test_mat_structure_errors(tmp_path):
    path = _mat(tmp_path / 'a.mat', [_cell('a', 'b', [])], extra=dict(other=np.zeros(1)))
    with pytest.raises(ValueError, match=_err(path, 'top level', 'anno_*_aligned') + re.escape(
            "expected one variable: ['anno_val_aligned', 'other']")):
        parse_citypersons_mat(path)
    path = _mat(tmp_path / 'b.mat', [_cell('a', 'b', []), dict(cityname='a', im_name='b')])
    with pytest.raises(ValueError, match=_err(path, 'image 1', 'cityname/im_name/bbs')):
        parse_citypersons_mat(path)
    path = _mat(tmp_path / 'c.mat', [dict(cityname='a', im_name='b', bbs=np.zeros((1, 9)))])
    with pytest.raises(ValueError, match=_err(path, 'image 0', 'cityname/im_name/bbs')):
        parse_citypersons_mat(path)
    path = _mat(tmp_path / 'd.mat', [dict(cityname=np.zeros((0, )), im_name='b',
                                          bbs=np.zeros((0, 10)))])
    with pytest.raises(ValueError, match=_err(path, 'image 0', 'cityname/im_name/bbs')):
        parse_citypersons_mat(path)


# ------------------------------------------------------------------ gtBboxCityPersons
def _bbox_file(root, city, stem, objects, **extra):
    return _write_json(root / city / f'{stem}_gtBboxCityPersons.json',
                       dict(objects=objects, **extra))


def test_bbox_dir_records_sorted_by_file_name(tmp_path):
    labels = ['ignore', 'pedestrian', 'rider', 'sitting person', 'person (other)',
              'person group']
    objs = [dict(label=lb, bbox=[k, 0, 10, 20], bboxVis=[k, 0, 10, 5], instanceId=k)
            for k, lb in enumerate(labels)]
    # the folders sort the other way round than the file names
    _bbox_file(tmp_path, 'b', 'aachen_000000_000019', objs, imgWidth=2048, imgHeight=1024)
    _bbox_file(tmp_path, 'a', 'zurich_000001_000002',
               [dict(label='pedestrian', bbox=[1, 2, 3, 4])])
    r1, r2 = parse_citypersons_bbox_dir(tmp_path)
    assert (r1['img_id'], r1['file_name'], r1['width'], r1['height']) == \
        (1, 'aachen/aachen_000000_000019_leftImg8bit.png', 2048, 1024)
    assert (r2['img_id'], r2['file_name'], r2['width'], r2['height']) == \
        (2, 'zurich/zurich_000001_000002_leftImg8bit.png', 0, 0)
    assert [(i['category'], i['ignore_flag'], i['instance_id'], i['vis_ratio'])
            for i in r1['instances']] == [
        ('ignore', 1, 0, 0.25), ('pedestrian', 0, 1, 0.25), ('rider', 1, 2, 0.25),
        ('sitting', 1, 3, 0.25), ('other', 1, 4, 0.25), ('group', 1, 5, 0.25)]
    assert r1['instances'][1]['bbox'] == [1.0, 0.0, 11.0, 20.0]
    # no bboxVis: the full box, visible fraction 1; no instanceId: 0
    inst, = r2['instances']
    assert _fields(inst) == ([1.0, 2.0, 4.0, 6.0], 0, 'pedestrian', 4.0, 1.0,
                             [1.0, 2.0, 4.0, 6.0])
    assert inst['instance_id'] == 0
    assert parse_citypersons(tmp_path) == [r1, r2]


def test_bbox_dir_without_objects(tmp_path):
    _bbox_file(tmp_path, 'a', 'a_000000_000001', [])
    (tmp_path / 'a' / 'a_000000_000001_gtBboxCityPersons.json').write_text('{}')
    rec, = parse_citypersons_bbox_dir(tmp_path)
    assert rec['instances'] == []


def test_bbox_dir_errors(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match=_err(tmp_path / 'empty', 'folder',
                                              '*_gtBboxCityPersons.json') + 'no file found'):
        parse_citypersons_bbox_dir(tmp_path / 'empty')
    ok = dict(label='pedestrian', bbox=[0, 0, 1, 1])
    for objs, field, detail in (
            ([ok, dict(label='car', bbox=[0, 0, 1, 1])], 'label', "unknown label 'car'"),
            ([ok, dict(bbox=[0, 0, 1, 1])], 'label', 'unknown label None'),
            ([ok, dict(label='rider', bbox=[0, 0, -1, 1])], 'bbox', 'negative width/height'),
            ([ok, dict(label='rider', bbox=[0, 0, 1, 1], bboxVis=[0, 0, 1, -1])], 'bboxVis',
             'negative width/height'),
            ([ok, dict(label='rider')], 'bbox', 'expected [x, y, w, h], got None')):
        file = _bbox_file(tmp_path / 'bad', 'a', 'a_000000_000001', objs)
        with pytest.raises(ValueError, match=_err(file, 'object 1', field) + re.escape(detail)):
            parse_citypersons_bbox_dir(tmp_path / 'bad')


def test_dispatch_by_suffix(tmp_path):
    path = tmp_path / 'gt.txt'
    path.write_text('')
    with pytest.raises(ValueError, match=_err(path, 'file', 'suffix') + re.escape(
            'expected .json, .mat or a gtBboxCityPersons folder')):
        parse_citypersons(path)
    path = _write_json(tmp_path / 'gt.json', dict(images=[dict(id=4, im_name=F1)],
                                                   annotations=[]))
    assert [r['img_id'] for r in parse_citypersons(str(path))] == [4]
