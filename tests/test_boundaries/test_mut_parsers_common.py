# Copyright (c) mmped contributors. All rights reserved.
"""Shared parser helpers (:mod:`mmped.datasets.parsers.common`) on exact values.

The instance layout is the mmped detection-benchmark one; the visibility rules are those of
Piotr Dollar's toolbox ``bbGt`` (Caltech evaluation code 3.2.1: ``inf`` without occlusion box;
the current toolbox: 1 without occlusion box, 0 when the visible box equals the full box).
Every error names the file, the record and the field; the messages are compared in full.
"""
import gc
import math
import re

import pytest

from mmped.datasets.parsers import common as C


def _exact(msg):
    """A ``match`` pattern accepting exactly ``msg``."""
    return '^' + re.escape(msg) + '$'


# ----------------------------------------------------------------------------- make_instance
def test_make_instance_defaults_give_the_benchmark_layout():
    inst = C.make_instance([1, 2, 3, 4], 0, 'person')
    assert inst == dict(bbox=[1.0, 2.0, 4.0, 6.0], bbox_label=0, ignore_flag=0,
                        category='person', height=4.0, vis_ratio=math.inf, vis_bbox=None,
                        occlusion=-1, truncation=0.0)
    assert all(type(v) is float for v in inst['bbox'])
    assert type(inst['height']) is float and type(inst['truncation']) is float
    assert type(inst['vis_ratio']) is float and type(inst['occlusion']) is int
    assert type(inst['ignore_flag']) is int


def test_make_instance_non_default_values_and_extra_fields():
    inst = C.make_instance(['1.5', 2, 3, 4], 'yes', 'people', height=7, vis_ratio=0.25,
                           vis_xywh=[2, 3, 1, 2], occlusion='2', truncation='0.5',
                           track_id=9, frame=3)
    assert inst == dict(bbox=[1.5, 2.0, 4.5, 6.0], bbox_label=0, ignore_flag=1,
                        category='people', height=7.0, vis_ratio=0.25,
                        vis_bbox=[2.0, 3.0, 3.0, 5.0], occlusion=2, truncation=0.5,
                        track_id=9, frame=3)
    assert all(type(v) is float for v in inst['vis_bbox'])
    assert type(inst['height']) is float and type(inst['occlusion']) is int
    assert type(inst['truncation']) is float and type(inst['vis_ratio']) is float


def test_make_instance_xyxy_replaces_the_rebuilt_corners():
    inst = C.make_instance([0.1, 0.2, 0.3, 0.4], True, 'Car', xyxy=[0.1, 0.2, 0.41, 0.6])
    assert inst['bbox'] == [0.1, 0.2, 0.41, 0.6]
    assert inst['height'] == 0.4 and inst['ignore_flag'] == 1
    assert all(type(v) is float for v in C.make_instance([0, 0, 1, 1], 0, 'p',
                                                         xyxy=[0, 0, 1, 1])['bbox'])


def test_make_instance_height_zero_is_kept_not_replaced_by_h():
    assert C.make_instance([0, 0, 5, 9], 0, 'p', height=0)['height'] == 0.0


# ---------------------------------------------------------------------------- bbgt_vis_ratio
def test_vis_ratio_unknown_rule_is_named():
    with pytest.raises(ValueError, match=_exact("unknown visibility rule 'bbgt'")):
        C.bbgt_vis_ratio(1, [0, 0, 10, 20], [0, 0, 5, 8], rule='bbgt')


def test_vis_ratio_without_occlusion_box_caltech_inf_toolbox_one():
    full, vis = [0, 0, 10, 20], [1, 2, 5, 8]
    assert C.bbgt_vis_ratio(0, full, vis) == math.inf  # default rule: caltech
    assert C.bbgt_vis_ratio(0, full, vis, rule='caltech') == math.inf
    assert C.bbgt_vis_ratio(0, full, vis, rule='toolbox') == 1.0
    # occluded flag but an all-zero visible box: no occlusion box either
    assert C.bbgt_vis_ratio(1, full, [0, 0, 0, 0]) == math.inf
    assert C.bbgt_vis_ratio(1, full, [0, 0, 0, 0], rule='toolbox') == 1.0


def test_vis_ratio_partly_zero_visible_box_is_an_occlusion_box():
    # only some coordinates 0: the box exists -> area ratio
    assert C.bbgt_vis_ratio(1, [0, 0, 10, 20], [0, 0, 5, 8]) == 0.2
    assert C.bbgt_vis_ratio(1, [0, 0, 10, 20], [3, 0, 0, 0]) == 0.0
    assert C.bbgt_vis_ratio(1, [0, 0, 10, 20], [0, 0, 0, 4], rule='toolbox') == 0.0


def test_vis_ratio_is_visible_area_over_full_area():
    assert C.bbgt_vis_ratio(1, [0, 0, 10, 20], [1, 2, 5, 8]) == 0.2
    assert C.bbgt_vis_ratio(1, [0, 0, 10, 20], [1, 2, 5, 8], rule='toolbox') == 0.2
    assert C.bbgt_vis_ratio(1, [0, 0, 4, 5], [0, 0, 2, 5]) == 0.5
    assert C.bbgt_vis_ratio(True, ['0', '0', '10', '20'], ['1', '2', '5', '8']) == 0.2


def test_vis_ratio_visible_equals_full_box_toolbox_zero_caltech_one():
    assert C.bbgt_vis_ratio(1, [1, 2, 10, 20], [1, 2, 10, 20], rule='toolbox') == 0.0
    # ints vs floats compare equal as floats
    assert C.bbgt_vis_ratio(1, [1.0, 2.0, 10.0, 20.0], [1, 2, 10, 20], rule='toolbox') == 0.0
    assert C.bbgt_vis_ratio(1, [1, 2, 10, 20], [1, 2, 10, 20]) == 1.0
    assert C.bbgt_vis_ratio(1, [1, 2, 10, 20], [1, 2, 10, 10], rule='toolbox') == 0.5


def test_vis_ratio_empty_full_box_is_zero_at_the_boundary():
    assert C.bbgt_vis_ratio(1, [0, 0, 0, 20], [1, 1, 2, 2]) == 0.0  # area == 0
    assert C.bbgt_vis_ratio(1, [0, 0, -1, 20], [1, 1, 2, 2]) == 0.0  # area < 0
    assert C.bbgt_vis_ratio(1, [0, 0, 1, 1], [0, 0, 0.5, 1]) == 0.5  # area == 1 -> ratio
    assert C.bbgt_vis_ratio(1, [0, 0, 0.5, 1], [0, 0, 0.25, 1]) == 0.5  # 0 < area < 1


# --------------------------------------------------------------------------------- gc_paused
def test_gc_paused_disables_and_restores():
    assert gc.isenabled()
    with C.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with C.gc_paused():
            raise KeyError('x')
    assert gc.isenabled()


def test_gc_paused_keeps_a_disabled_collector_disabled():
    gc.disable()
    try:
        with C.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------------- load_json
def test_load_json_decodes(tmp_path):
    f = tmp_path / 'a.json'
    f.write_text('{"images": [1, 2], "x": "\u00e9"}', encoding='utf-8')
    assert C.load_json(f) == {'images': [1, 2], 'x': '\u00e9'}
    assert C.load_json(str(f)) == {'images': [1, 2], 'x': '\u00e9'}
    assert gc.isenabled()


@pytest.mark.parametrize('content', [b'', b'  \n\t '])
def test_load_json_empty_file(tmp_path, content):
    f = tmp_path / 'empty.json'
    f.write_bytes(content)
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record file: field 'content': empty file, expected JSON")):
        C.load_json(f)
    assert gc.isenabled()


def test_load_json_truncated_and_undecodable(tmp_path):
    f = tmp_path / 'cut.json'
    f.write_bytes(b'{"a": ')
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record file: field 'content': not valid JSON (truncated?): "
            'Expecting value: line 1 column 7 (char 6)')):
        C.load_json(f)
    g = tmp_path / 'bin.json'
    g.write_bytes(b'"\xff"')
    with pytest.raises(ValueError, match=_exact(
            f"{g}: record file: field 'content': not valid JSON (truncated?): 'utf-8' codec "
            "can't decode byte 0xff in position 1: invalid start byte")):
        C.load_json(g)
    assert gc.isenabled()


# ---------------------------------------------------------------------------------- load_mat
def test_load_mat_passes_options_and_names_bad_files(tmp_path):
    import numpy as np
    from scipy.io import savemat
    f = tmp_path / 'a.mat'
    savemat(str(f), {'v': np.array([[7.0]])})
    assert C.load_mat(f)['v'].shape == (1, 1)
    assert C.load_mat(f, squeeze_me=True)['v'] == 7.0
    assert np.ndim(C.load_mat(f, squeeze_me=True)['v']) == 0
    with pytest.raises(FileNotFoundError):
        C.load_mat(tmp_path / 'missing.mat')
    bad = tmp_path / 'bad.mat'
    bad.write_bytes(b'not a mat file at all, just some bytes here')
    with pytest.raises(ValueError, match='^' + re.escape(
            f"{bad}: record file: field 'content': not a readable MATLAB file (") + r'\w+: .*\)$'):
        C.load_mat(bad)


# ---------------------------------------------------------------- add_image / load_coco_json
def test_add_image_registers_and_refuses_duplicates():
    by_id = {}
    a, b = dict(img_id='a'), dict(img_id=2)
    C.add_image(by_id, a, 'f.json', 0)
    C.add_image(by_id, b, 'f.json', 1)
    assert by_id == {'a': a, 2: b} and by_id['a'] is a
    with pytest.raises(ValueError, match=_exact(
            "f.json: record image 3: field 'id': duplicate image id 'a'")):
        C.add_image(by_id, dict(img_id='a'), 'f.json', 3)
    assert by_id['a'] is a


def test_load_coco_json_checks_both_lists(tmp_path):
    f = tmp_path / 'c.json'
    f.write_text('{"images": [], "annotations": [], "k": 1}')
    assert C.load_coco_json(f) == {'images': [], 'annotations': [], 'k': 1}
    f.write_text('{"annotations": []}')
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record top level: field 'images': missing")):
        C.load_coco_json(f)
    f.write_text('{"images": []}')
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record top level: field 'annotations': missing")):
        C.load_coco_json(f)


def test_parse_error_message_layout():
    err = C.parse_error('x/y.txt', 'line 3', 'w', 'bad')
    assert type(err) is ValueError
    assert str(err) == "x/y.txt: record line 3: field 'w': bad"


# -------------------------------------------------------------------------------- read_lines
def test_read_lines_utf8_then_latin1(tmp_path):
    f = tmp_path / 'u.txt'
    f.write_bytes('caf\u00e9 1\r\nb 2\n\nc'.encode('utf-8'))
    assert C.read_lines(f) == ['caf\u00e9 1', 'b 2', '', 'c']
    g = tmp_path / 'l.txt'
    g.write_bytes(b'caf\xe9 1\nx')
    assert C.read_lines(str(g)) == ['caf\u00e9 1', 'x']


# ---------------------------------------------------------------------- to_float / check_box
def test_to_float_values_and_errors():
    assert C.to_float('f', 'r', 'x', '2.5') == 2.5
    assert type(C.to_float('f', 'r', 'x', 3)) is float
    assert C.to_float('f', 'r', 'x', '-inf') == -math.inf
    with pytest.raises(ValueError, match=_exact("f: record r: field 'x': not a number: 'abc'")):
        C.to_float('f', 'r', 'x', 'abc')
    with pytest.raises(ValueError, match=_exact("f: record r: field 'x': not a number: None")):
        C.to_float('f', 'r', 'x', None)
    with pytest.raises(ValueError, match=_exact("f: record r: field 'x': NaN")):
        C.to_float('f', 'r', 'x', 'nan')


def test_check_box_values_and_boundaries():
    assert C.check_box('f', 'r', 'bbox', [1, '2', 0, 0]) == [1.0, 2.0, 0.0, 0.0]  # w=h=0 ok
    assert C.check_box('f', 'r', 'bbox', (-1, -2, 3, 4)) == [-1.0, -2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match=_exact(
            "f: record r: field 'bbox': negative width/height in [0, 0, -0.5, 2]")):
        C.check_box('f', 'r', 'bbox', [0, 0, -0.5, 2])
    with pytest.raises(ValueError, match=_exact(
            "f: record r: field 'bbox': negative width/height in [0, 0, 2, -1]")):
        C.check_box('f', 'r', 'bbox', [0, 0, 2, -1])
    with pytest.raises(ValueError, match=_exact(
            "f: record r: field 'bbox': not a number: 'x'")):
        C.check_box('f', 'r', 'bbox', [0, 'x', 2, 1])


@pytest.mark.parametrize('box', ['0000', None, [1, 2, 3], [1, 2, 3, 4, 5], {1: 2}])
def test_check_box_shape_errors(box):
    with pytest.raises(ValueError, match=_exact(
            f"f: record r: field 'b': expected [x, y, w, h], got {box!r}")):
        C.check_box('f', 'r', 'b', box)


# ------------------------------------------------------------------------------ coco_records
def test_coco_records_defaults_and_order():
    data = dict(images=[dict(id=5, file_name='a.png', width=100.0, height=50),
                        dict(id='b', file_name='b.png'),
                        dict(id=1, file_name='c.png', height=7)])
    records, by_id = C.coco_records('f.json', data)
    assert records == [
        dict(img_id=5, file_name='a.png', width=100, height=50, instances=[]),
        dict(img_id='b', file_name='b.png', width=640, height=480, instances=[]),
        dict(img_id=1, file_name='c.png', width=640, height=7, instances=[])]
    assert type(records[0]['width']) is int
    assert list(by_id) == [5, 'b', 1] and by_id['b'] is records[1]
    rec2, _ = C.coco_records('f.json', data, default_size=(12, 34))
    assert (rec2[1]['width'], rec2[1]['height'], rec2[2]['width']) == (12, 34, 12)


def test_coco_records_name_key_falls_back_to_file_name():
    data = dict(images=[dict(id=1, im_name='x.png', file_name='d/x.png'),
                        dict(id=2, file_name='d/y.png')])
    recs, _ = C.coco_records('f.json', data, name_key='im_name')
    assert [r['file_name'] for r in recs] == ['x.png', 'd/y.png']
    recs, _ = C.coco_records('f.json', data)
    assert [r['file_name'] for r in recs] == ['d/x.png', 'd/y.png']


def test_coco_records_errors():
    with pytest.raises(ValueError, match=_exact(
            "f.json: record image 1: field 'id/file_name': missing")):
        C.coco_records('f.json', dict(images=[dict(id=1, file_name='a'), dict(id=2)]))
    with pytest.raises(ValueError, match=_exact(
            "f.json: record image 0: field 'id/im_name': missing")):
        C.coco_records('f.json', dict(images=[dict(im_name='a')]), name_key='im_name')
    with pytest.raises(ValueError, match=_exact(
            "f.json: record image 2: field 'id': duplicate image id 1")):
        C.coco_records('f.json', dict(images=[dict(id=1, file_name='a'),
                                              dict(id=2, file_name='b'),
                                              dict(id=1, file_name='c')]))


def test_iter_coco_annotations_yields_and_checks():
    data = dict(images=[dict(id=1, file_name='a'), dict(id=2, file_name='b')],
                annotations=[dict(image_id=2, bbox=[1, 2, 3, 4]),
                             dict(image_id=1, bbox=(0, 0, 0, 0), k=1)])
    _, by_id = C.coco_records('f.json', data)
    out = list(C.iter_coco_annotations('f.json', data, by_id))
    assert [(i, a, r['img_id'], b) for i, a, r, b in out] == [
        (0, data['annotations'][0], 2, [1.0, 2.0, 3.0, 4.0]),
        (1, data['annotations'][1], 1, [0.0, 0.0, 0.0, 0.0])]
    assert out[0][2] is by_id[2]


@pytest.mark.parametrize('ann, msg', [
    (dict(image_id=7, bbox=[0, 0, 1, 1]), "field 'image_id': unknown image 7"),
    (dict(image_id='1', bbox=[0, 0, 1, 1]), "field 'image_id': unknown image '1'"),
    (dict(bbox=[0, 0, 1, 1]), "field 'image_id': unknown image None"),
    (dict(image_id=1), "field 'bbox': expected [x, y, w, h], got None"),
    (dict(image_id=1, bbox=[0, 0, -1, 1]), "field 'bbox': negative width/height in [0, 0, -1, 1]"),
])
def test_iter_coco_annotations_errors(ann, msg):
    data = dict(images=[dict(id=1, file_name='a')],
                annotations=[dict(image_id=1, bbox=[0, 0, 1, 1]), ann])
    _, by_id = C.coco_records('f.json', data)
    with pytest.raises(ValueError, match=_exact(f'f.json: record annotation 1: {msg}')):
        list(C.iter_coco_annotations('f.json', data, by_id))
