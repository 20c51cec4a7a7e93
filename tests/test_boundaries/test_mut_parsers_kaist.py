# Copyright (c) mmped contributors. All rights reserved.
"""KAIST annotation and result parsers: exact records on small files in the real formats.

Facts followed (KAIST multispectral benchmark toolbox and its MLPD / MATLAB wrapper):

- day sets 00-02 and 06-08, night sets 03-05 and 09-11;
- bbGt text: optional ``% bbGt version=N`` header, then ``lbl x y w h occ xv yv wv hv``
  (versions 0 and 1, 10 columns), ``+ ign`` (version 2, 11), ``+ ang`` (version 3, 12);
  only ``person`` is a positive label, every other label is an ignore region;
- MLPD json: ``images`` with ``im_name``, annotations with ``occlusion`` 0/1/2, ``ignore``,
  ``height``; frames are 640 x 512;
- text results ``img_index(1-based),x,y,w,h,score``, the index counting test-list positions.
"""
import json
import math
import re

import numpy as np
import pytest

from mmped.datasets.parsers.kaist import (
    kaist_condition,
    kaist_txt_key,
    load_kaist_txt_results,
    parse_bbgt_file,
    parse_kaist,
    parse_kaist_json,
    parse_kaist_txt_dir,
)

from .parser_files import error_prefix as _err
from .parser_files import write_file as _write

V3 = '% bbGt version=3\n'


# ------------------------------------------------------------------ day / night
@pytest.mark.parametrize('set_id', range(12))
def test_condition_of_every_set(set_id):
    expected = 'day' if set_id in (0, 1, 2, 6, 7, 8) else 'night'
    assert kaist_condition(f'set{set_id:02d}/V000/I00019') == expected
    assert kaist_condition(f'x_set{set_id:02d}_V001_I00001') == expected


def test_condition_errors_name_the_frame():
    with pytest.raises(ValueError, match=re.escape("cannot find a setXX id in KAIST name 'V000'")):
        kaist_condition('V000')
    with pytest.raises(ValueError, match=re.escape("unknown KAIST set 12 in 'set12/V000/I1'")):
        kaist_condition('set12/V000/I1')


# ------------------------------------------------------------------ MLPD json
def _json(tmp_path, images, anns, categories=None, name='KAIST_annotation.json'):
    data = dict(images=images, annotations=anns)
    if categories is not None:
        data['categories'] = categories
    return _write(tmp_path / name, json.dumps(data))


def test_json_records_sizes_conditions_and_instances(tmp_path):
    images = [dict(id=5, im_name='set06/V000/I00019', file_name='other'),
              dict(id=7, file_name='set03/V001/I00001', width=320, height=256)]
    anns = [dict(id=11, image_id=5, category_id=1, bbox=[1, 2, 10, 20], height=21.5,
                 occlusion=2, ignore=0),
            dict(id=12, image_id=7, category_id=1, bbox=[3, 4, 5, 6], ignore=1),
            dict(image_id=7, bbox=[0, 0, 7, 8])]
    recs = parse_kaist_json(_json(tmp_path, images, anns))
    assert [(r['img_id'], r['file_name'], r['width'], r['height'], r['condition'])
            for r in recs] == [(5, 'set06/V000/I00019', 640, 512, 'day'),
                               (7, 'set03/V001/I00001', 320, 256, 'night')]
    a, = recs[0]['instances']
    assert (a['bbox'], a['ignore_flag'], a['category'], a['height'], a['occlusion'],
            a['ann_id']) == ([1.0, 2.0, 11.0, 22.0], 0, 'person', 21.5, 2, 11)
    assert math.isinf(a['vis_ratio']) and a['vis_bbox'] is None
    b, c = recs[1]['instances']
    # ignore=1 wins over the category; the json height defaults to the box height
    assert (b['ignore_flag'], b['category'], b['height'], b['occlusion'], b['ann_id']) == \
        (1, 'ignore', 6.0, 0, 12)
    # no category, no ignore, no occlusion: a non-ignored person of occlusion 0
    assert (c['ignore_flag'], c['category'], c['height'], c['occlusion'], c['ann_id']) == \
        (0, 'person', 8.0, 0, None)


def test_json_default_categories_ignore_everything_but_person(tmp_path):
    images = [dict(id=0, im_name='set06/V000/I00019')]
    anns = [dict(image_id=0, category_id=k, bbox=[0, 0, 1, 1]) for k in (0, 1, 2, 3, 4, 9)]
    inst = parse_kaist_json(_json(tmp_path, images, anns))[0]['instances']
    assert [(i['category'], i['ignore_flag']) for i in inst] == [
        ('ignore', 1), ('person', 0), ('cyclist', 1), ('people', 1), ('person?', 1),
        ('person', 0)]


def test_json_categories_of_the_file_replace_the_defaults(tmp_path):
    images = [dict(id=0, im_name='set06/V000/I00019')]
    anns = [dict(image_id=0, category_id=k, bbox=[0, 0, 1, 1]) for k in (1, 2, 3)]
    cats = [dict(id=1, name='cyclist'), dict(id=2, name='person')]
    inst = parse_kaist_json(_json(tmp_path, images, anns, cats))[0]['instances']
    assert [(i['category'], i['ignore_flag']) for i in inst] == [
        ('cyclist', 1), ('person', 0), ('person', 0)]
    # an empty category list falls back to the KAIST defaults
    inst = parse_kaist_json(_json(tmp_path, images, anns, []))[0]['instances']
    assert [(i['category'], i['ignore_flag']) for i in inst] == [
        ('person', 0), ('cyclist', 1), ('people', 1)]


@pytest.mark.parametrize('occ', [0, 1, 2])
def test_json_occlusion_levels(tmp_path, occ):
    images = [dict(id=0, im_name='set06/V000/I00019')]
    path = _json(tmp_path, images, [dict(image_id=0, bbox=[0, 0, 1, 1], occlusion=occ)])
    assert parse_kaist_json(path)[0]['instances'][0]['occlusion'] == occ


@pytest.mark.parametrize('occ', [3, -1, '1'])
def test_json_bad_occlusion_names_the_annotation(tmp_path, occ):
    images = [dict(id=0, im_name='set06/V000/I00019')]
    anns = [dict(image_id=0, bbox=[0, 0, 1, 1]), dict(image_id=0, bbox=[0, 0, 1, 1],
                                                       occlusion=occ)]
    path = _json(tmp_path, images, anns)
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', 'occlusion') +
                       re.escape(f'expected 0/1/2, got {occ!r}')):
        parse_kaist_json(path)


def test_json_bad_height_names_the_annotation(tmp_path):
    images = [dict(id=0, im_name='set06/V000/I00019')]
    anns = [dict(image_id=0, bbox=[0, 0, 1, 1]), dict(image_id=0, bbox=[0, 0, 1, 1],
                                                       height='tall')]
    path = _json(tmp_path, images, anns)
    with pytest.raises(ValueError, match=_err(path, 'annotation 1', 'height')):
        parse_kaist_json(path)


def test_json_frame_without_set_id_is_an_error(tmp_path):
    path = _json(tmp_path, [dict(id=0, im_name='V000/I00019')], [])
    with pytest.raises(ValueError, match='cannot find a setXX id'):
        parse_kaist_json(path)


# ------------------------------------------------------------------ bbGt files
def test_bbgt_v3_records(tmp_path):
    path = _write(tmp_path / 'a.txt', V3 +
                  'person 1 2 10 20 1 1 2 10 10 0 0\n'
                  '\n'
                  'people 5 6 7 8 0 0 0 0 0 0 0\n'
                  'person 0 0 4 4 0 0 0 0 0 1 0\n')
    a, b, c = parse_bbgt_file(path)
    assert (a['bbox'], a['ignore_flag'], a['category'], a['occlusion'], a['vis_ratio'],
            a['vis_bbox'], a['height']) == ([1.0, 2.0, 11.0, 22.0], 0, 'person', 1, 0.5,
                                            [1.0, 2.0, 11.0, 12.0], 20.0)
    # not ``person``: an ignore region; no occlusion box: inf (Caltech convention), no box
    assert (b['ignore_flag'], b['category'], b['occlusion'], b['vis_bbox']) == \
        (1, 'people', 0, None)
    assert math.isinf(b['vis_ratio'])
    # the ign column of version 3
    assert (c['ignore_flag'], c['category']) == (1, 'person')


def test_bbgt_visibility_rule(tmp_path):
    path = _write(tmp_path / 'a.txt', V3 + 'person 0 0 10 20 0 0 0 0 0 0 0\n'
                  'person 0 0 10 20 1 0 0 10 20 0 0\n'
                  'person 0 0 10 20 1 0 0 5 20 0 0\n')
    cal = [i['vis_ratio'] for i in parse_bbgt_file(path)]
    tool = [i['vis_ratio'] for i in parse_bbgt_file(path, visibility='toolbox')]
    assert math.isinf(cal[0]) and cal[1:] == [1.0, 0.5]
    assert tool == [1.0, 0.0, 0.5]
    with pytest.raises(ValueError, match="unknown visibility rule 'x'"):
        parse_bbgt_file(path, visibility='x')


def test_bbgt_positive_and_ignore_labels(tmp_path):
    path = _write(tmp_path / 'a.txt', V3 + 'person 0 0 1 1 0 0 0 0 0 0 0\n'
                  'people 0 0 2 2 0 0 0 0 0 0 0\n'
                  'cyclist 0 0 3 3 0 0 0 0 0 0 0\n'
                  'person 0 0 4 4 0 0 0 0 0 1 0\n')
    # default (KAIST): every other label is an ignore region
    assert [(i['category'], i['ignore_flag']) for i in parse_bbgt_file(path)] == [
        ('person', 0), ('people', 1), ('cyclist', 1), ('person', 1)]
    assert [(i['category'], i['ignore_flag'])
            for i in parse_bbgt_file(path, positive_labels=('person', 'cyclist'))] == [
        ('person', 0), ('people', 1), ('cyclist', 0), ('person', 1)]
    # bbGt lbls / ilbls: labels in neither list are dropped
    assert [(i['category'], i['ignore_flag'])
            for i in parse_bbgt_file(path, ignore_labels=('people', ))] == [
        ('person', 0), ('people', 1), ('person', 1)]
    assert [(i['category'], i['ignore_flag'])
            for i in parse_bbgt_file(path, ignore_labels=('person', ))] == [
        ('person', 1), ('person', 1)]


@pytest.mark.parametrize('version,ncols', [(0, 10), (1, 10), (2, 11), (3, 12)])
def test_bbgt_column_count_of_every_version(tmp_path, version, ncols):
    """Exactly the version's column count parses; one column less is an error on the
    file's own line number (the header is line 1)."""
    row = ' '.join(['person', '0', '0', '5', '6', '0', '0', '0', '0', '0', '1', '0'][:ncols])
    path = _write(tmp_path / 'a.txt', f'% bbGt version={version}\n{row}\n')
    inst, = parse_bbgt_file(path)
    # the ign column exists from version 2 on
    assert (inst['bbox'], inst['ignore_flag']) == ([0.0, 0.0, 5.0, 6.0], int(version >= 2))
    short = row.rsplit(' ', 1)[0]
    path = _write(tmp_path / 'b.txt', f'% bbGt version={version}\n\n{short}\n')
    with pytest.raises(ValueError, match=_err(path, 'line 3', 'columns') + re.escape(
            f'expected {ncols} columns for version {version}, got {ncols - 1}')):
        parse_bbgt_file(path)


def test_bbgt_without_header_is_version_0_from_line_1(tmp_path):
    path = _write(tmp_path / 'a.txt', 'person 1 2 3 4 0 0 0 0 0 1 1\n')
    inst, = parse_bbgt_file(path)
    assert (inst['bbox'], inst['ignore_flag']) == ([1.0, 2.0, 4.0, 6.0], 0)
    path = _write(tmp_path / 'b.txt', 'person 1 2 3 4 0 0 0 0\n')
    with pytest.raises(ValueError, match=_err(path, 'line 1', 'columns') +
                       'expected 10 columns for version 0, got 9'):
        parse_bbgt_file(path)
    assert parse_bbgt_file(_write(tmp_path / 'c.txt', '')) == []
    assert parse_bbgt_file(_write(tmp_path / 'd.txt', V3)) == []


def test_bbgt_header_forms(tmp_path):
    inst, = parse_bbgt_file(_write(tmp_path / 'a.txt',
                                   '%bbGt version=2\nperson 0 0 1 1 0 0 0 0 0 1\n'))
    assert inst['ignore_flag'] == 1
    path = _write(tmp_path / 'b.txt', '% bbGt v3\nperson 0 0 1 1 0 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=_err(path, 'line 1', 'header') +
                       re.escape("unexpected '% bbGt v3'")):
        parse_bbgt_file(path)
    path = _write(tmp_path / 'c.txt', '% bbGt version=4\n')
    with pytest.raises(ValueError, match=_err(path, 'line 1', 'version') +
                       'unknown bbGt version 4'):
        parse_bbgt_file(path)


def test_bbgt_bad_values_name_line_and_column(tmp_path):
    path = _write(tmp_path / 'a.txt', V3 + 'person 0 0 1 1 0 0 0 0 0 0 0\n'
                  'person x 0 1 1 0 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=_err(path, 'line 3', 'column 2')):
        parse_bbgt_file(path)
    path = _write(tmp_path / 'b.txt', V3 + 'person 0 0 1 1 0 0 0 0 0 nan 0\n')
    with pytest.raises(ValueError, match=_err(path, 'line 2', 'column 11') + 'NaN'):
        parse_bbgt_file(path)


@pytest.mark.parametrize('w,h', [(-1, 5), (5, -0.5)])
def test_bbgt_negative_size_is_an_error(tmp_path, w, h):
    path = _write(tmp_path / 'a.txt', V3 + f'person 0 0 {w} {h} 0 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=_err(path, 'line 2', 'bbox') + 'negative width/height'):
        parse_bbgt_file(path)


def test_bbgt_zero_size_is_accepted(tmp_path):
    path = _write(tmp_path / 'a.txt', V3 + 'person 3 4 0 0 0 0 0 0 0 0 0\n')
    assert parse_bbgt_file(path)[0]['bbox'] == [3.0, 4.0, 3.0, 4.0]


# ------------------------------------------------------------------ txt layouts
@pytest.mark.parametrize('rel,key', [
    ('set06/V000/I00019.txt', ('set06/V000/I00019', None)),
    ('set06_V000_I00019.txt', ('set06/V000/I00019', None)),
    ('set06/V000/lwir/I00019.txt', ('set06/V000/I00019', 'lwir')),
    ('set06_V000_visible_I00019.txt', ('set06/V000/I00019', 'visible')),
    ('lwir/set06/V000/I00019.txt', ('set06/V000/I00019', 'lwir')),
    ('x/set11_V002_I01234_visible.txt', ('set11/V002/I01234', 'visible')),
    ('invisible/set06/V000/I00019.txt', ('set06/V000/I00019', None)),
    ('set06/V000/I00019_lwirx.txt', ('set06/V000/I00019', None)),
])
def test_txt_key(rel, key):
    assert kaist_txt_key(rel) == key


def test_txt_key_error():
    with pytest.raises(ValueError, match=re.escape(
            'not a KAIST annotation file name (setXX/VYYY/IZZZZZ.txt): set6/V000/I1.txt')):
        kaist_txt_key('set6/V000/I1.txt')


def _row(x):
    return f'person {x} 0 10 20 0 0 0 0 0 0 0\n'


def test_txt_dir_shared_layout_sorted_with_sizes(tmp_path):
    _write(tmp_path / 'set09_V000_I00002.txt', V3 + _row(2))
    _write(tmp_path / 'set06/V000/I00019.txt', V3 + _row(1) + _row(3))
    recs = parse_kaist_txt_dir(tmp_path)
    assert [(r['img_id'], r['file_name'], r['width'], r['height'], r['condition'],
             [i['bbox'][0] for i in r['instances']]) for r in recs] == [
        (0, 'set06/V000/I00019', 640, 512, 'day', [1.0, 3.0]),
        (1, 'set09/V000/I00002', 640, 512, 'night', [2.0])]
    assert all('paired_instances' not in r and 'box_modality' not in r for r in recs)
    # the modality is ignored for a shared layout
    assert parse_kaist_txt_dir(tmp_path, modality='lwir') == recs
    assert parse_kaist(tmp_path) == recs


def test_txt_dir_image_set_orders_and_selects(tmp_path):
    _write(tmp_path / 'set06_V000_I00001.txt', V3 + _row(1))
    _write(tmp_path / 'set06_V000_I00002.txt', V3 + _row(2))
    _write(tmp_path / 'set06_V000_I00003.txt', V3 + _row(3))
    lst = _write(tmp_path.parent / 'list.txt', 'set06/V000/I00003\n\n  set06/V000/I00001 \n')
    recs = parse_kaist(tmp_path, image_set=lst)
    assert [(r['img_id'], r['file_name'], r['instances'][0]['bbox'][0]) for r in recs] == [
        (0, 'set06/V000/I00003', 3.0), (1, 'set06/V000/I00001', 1.0)]
    bad = _write(tmp_path.parent / 'bad.txt', 'set06/V000/I00001\nset06/V000/I00009\n'
                 'set06/V000/I00008\n')
    with pytest.raises(ValueError, match=_err(bad, 'set06/V000/I00009', 'frame') + re.escape(
            f'no annotation file in {tmp_path} (2 frame(s) in all)')):
        parse_kaist_txt_dir(tmp_path, image_set=bad)


def test_txt_dir_paired_layout(tmp_path):
    for name, x in (('I00001', 1), ('I00002', 2)):
        _write(tmp_path / f'set06/V000/visible/{name}.txt', V3 + _row(x))
        _write(tmp_path / f'set06/V000/lwir/{name}.txt', V3 + _row(10 * x) + _row(10 * x + 1))
    vis = parse_kaist_txt_dir(tmp_path, modality='visible')
    assert [(r['img_id'], r['file_name'], r['box_modality'],
             [i['bbox'][0] for i in r['instances']],
             [i['bbox'][0] for i in r['paired_instances']]) for r in vis] == [
        (0, 'set06/V000/I00001', 'visible', [1.0], [10.0, 11.0]),
        (1, 'set06/V000/I00002', 'visible', [2.0], [20.0, 21.0])]
    lwir = parse_kaist(tmp_path, modality='lwir')
    assert [(r['box_modality'], [i['bbox'][0] for i in r['instances']],
             [i['bbox'][0] for i in r['paired_instances']]) for r in lwir] == [
        ('lwir', [10.0, 11.0], [1.0]), ('lwir', [20.0, 21.0], [2.0])]
    with pytest.raises(ValueError, match=_err(tmp_path, 'folder', 'layout') + re.escape(
            "per-modality (visible / lwir) annotations: choose the boxes with "
            "modality='visible' or 'lwir'")):
        parse_kaist_txt_dir(tmp_path)


def test_txt_dir_paired_frame_missing_one_modality(tmp_path):
    _write(tmp_path / 'set06/V000/visible/I00001.txt', V3)
    _write(tmp_path / 'set06/V000/lwir/I00001.txt', V3)
    _write(tmp_path / 'set06/V000/visible/I00002.txt', V3)
    for mod in ('visible', 'lwir'):
        with pytest.raises(ValueError, match=_err(tmp_path, 'set06/V000/I00002', 'frame') +
                           re.escape(f'no lwir annotation file in {tmp_path} '
                                     '(1 frame(s) in all)')):
            parse_kaist_txt_dir(tmp_path, modality=mod)
    lst = _write(tmp_path.parent / 'l.txt', 'set06/V000/I00001\n')
    assert len(parse_kaist_txt_dir(tmp_path, image_set=lst, modality='lwir')) == 1


def test_txt_dir_only_one_modality_present(tmp_path):
    _write(tmp_path / 'set06/V000/lwir/I00001.txt', V3)
    with pytest.raises(ValueError, match=_err(tmp_path, 'set06/V000/I00001', 'frame') +
                       re.escape(f'no visible annotation file in {tmp_path}')):
        parse_kaist_txt_dir(tmp_path, modality='visible')
    with pytest.raises(ValueError, match=re.escape('no visible annotation file')):
        parse_kaist_txt_dir(tmp_path, modality='lwir')


def test_txt_dir_bad_modality_argument(tmp_path):
    with pytest.raises(ValueError, match=re.escape(
            "modality must be 'visible' or 'lwir', got 'rgb'")):
        parse_kaist_txt_dir(tmp_path, modality='rgb')


def test_txt_dir_layout_errors(tmp_path):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match=_err(empty, 'folder', '*.txt') +
                       'no annotation file found'):
        parse_kaist_txt_dir(empty)
    bad = _write(tmp_path / 'bad/set06/V000/readme.txt', '')
    with pytest.raises(ValueError, match=_err(bad, 'file name', 'frame') +
                       re.escape('not a KAIST annotation file name')):
        parse_kaist_txt_dir(tmp_path / 'bad')
    _write(tmp_path / 'dup/set06/V000/I00001.txt', V3)
    _write(tmp_path / 'dup/set06_V000_I00001.txt', V3)
    with pytest.raises(ValueError, match=re.escape(
            "'set06/V000/I00001' (shared) also in " + str(tmp_path / 'dup'))):
        parse_kaist_txt_dir(tmp_path / 'dup')
    _write(tmp_path / 'dup2/set06/V000/lwir/I00001.txt', V3)
    _write(tmp_path / 'dup2/set06_V000_lwir_I00001.txt', V3)
    with pytest.raises(ValueError, match=re.escape("'set06/V000/I00001' (lwir) also in ")):
        parse_kaist_txt_dir(tmp_path / 'dup2', modality='lwir')
    _write(tmp_path / 'mix/set06/V000/I00001.txt', V3)
    _write(tmp_path / 'mix/set06/V000/lwir/I00001.txt', V3)
    with pytest.raises(ValueError, match=_err(tmp_path / 'mix', 'folder', 'layout') + re.escape(
            'mixes per-modality (visible / lwir) and shared annotation files')):
        parse_kaist_txt_dir(tmp_path / 'mix', modality='lwir')


# ------------------------------------------------------------------ parse_kaist (json)
def test_parse_kaist_json_with_image_set(tmp_path):
    images = [dict(id=i, im_name=f'set06/V000/I0000{i}') for i in range(3)]
    path = _json(tmp_path, images, [dict(image_id=2, bbox=[0, 0, 1, 1])])
    assert [r['img_id'] for r in parse_kaist(path)] == [0, 1, 2]
    lst = _write(tmp_path / 'list.txt', 'set06/V000/I00002\n\n set06/V000/I00000\n')
    recs = parse_kaist(path, image_set=lst)
    assert [(r['img_id'], len(r['instances'])) for r in recs] == [(2, 1), (0, 0)]
    bad = _write(tmp_path / 'bad.txt', 'set06/V000/I00002\nset06/V000/I00007\nset07/V000/I1\n')
    with pytest.raises(ValueError, match=_err(bad, 'set06/V000/I00007', 'frame') + re.escape(
            f'no annotation in {path} (2 frame(s) in all)')):
        parse_kaist(path, image_set=bad)


# ------------------------------------------------------------------ text results
def test_results_grouped_by_test_list_position(tmp_path):
    path = _write(tmp_path / 'det.txt', '1,10,20,30,40,0.9\n\n3 1 2 3 4 0.5\n1,0,0,5,5,0.1\n')
    res = load_kaist_txt_results(path)
    assert sorted(res) == [0, 2]
    np.testing.assert_array_equal(res[0][0], [[10, 20, 30, 40], [0, 0, 5, 5]])
    np.testing.assert_array_equal(res[0][1], [0.9, 0.1])
    np.testing.assert_array_equal(res[2][0], [[1, 2, 3, 4]])
    np.testing.assert_array_equal(res[2][1], [0.5])
    assert res[0][0].dtype == np.float64
    named = load_kaist_txt_results(path, ['a', 'b', 'c'])
    assert sorted(named) == ['a', 'c']
    np.testing.assert_array_equal(named['a'][1], [0.9, 0.1])
    # an id array works like a list
    assert sorted(load_kaist_txt_results(path, np.array(['a', 'b', 'c']))) == ['a', 'c']
    assert load_kaist_txt_results(_write(tmp_path / 'e.txt', '\n')) == {}


def test_results_index_boundaries(tmp_path):
    """Valid indices are 1 ... len(img_ids): 1 and len(img_ids) are accepted, 0 and
    len(img_ids) + 1 are errors on the file's own line number."""
    ok = _write(tmp_path / 'ok.txt', '1,0,0,1,1,1\n3,0,0,1,1,1\n')
    assert sorted(load_kaist_txt_results(ok, ['a', 'b', 'c'])) == ['a', 'c']
    for text, line, val in (('\n1,0,0,1,1,1\n\n0,0,0,1,1,1\n', 'line 4', 0),
                            ('1,0,0,1,1,1\n4,0,0,1,1,1\n', 'line 2', 4),
                            ('-2,0,0,1,1,1\n', 'line 1', -2)):
        path = _write(tmp_path / 'bad.txt', text)
        with pytest.raises(ValueError, match=_err(path, line, 'img_index') +
                           f'out of range: {val}$'):
            load_kaist_txt_results(path, ['a', 'b', 'c'])
        with pytest.raises(ValueError, match=_err(path, line, 'img_index')):
            load_kaist_txt_results(path, np.array(['a', 'b', 'c']))
    # without ids any index >= 1 is valid; with no ids every index is out of range
    big = _write(tmp_path / 'big.txt', '\n7,0,0,1,1,1\n')
    assert sorted(load_kaist_txt_results(big)) == [6]
    with pytest.raises(ValueError, match=_err(big, 'line 2', 'img_index') + 'out of range: 7'):
        load_kaist_txt_results(big, [])
    zero = _write(tmp_path / 'zero.txt', '2,0,0,1,1,1\n0,0,0,1,1,1\n')
    with pytest.raises(ValueError, match=_err(zero, 'line 2', 'img_index') + 'out of range: 0'):
        load_kaist_txt_results(zero)


def test_results_format_errors(tmp_path):
    for text, line, n in (('1,0,0,1,1\n', 'line 1', 5), ('\n1,0,0,1,1,1,1\n', 'line 2', 7)):
        path = _write(tmp_path / 'bad.txt', text)
        with pytest.raises(ValueError, match=_err(path, line, 'columns') +
                           f'expected 6 values, got {n}$'):
            load_kaist_txt_results(path)
    path = _write(tmp_path / 'bad.txt', '1,0,0,1,1,1\n1,0,y,1,1,1\n')
    with pytest.raises(ValueError, match=_err(path, 'line 2', 'column 3')):
        load_kaist_txt_results(path)
