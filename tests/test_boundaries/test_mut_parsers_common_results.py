# Copyright (c) mmped contributors. All rights reserved.
"""COCO detection-result reader and grouping (:mod:`mmped.datasets.parsers.results`), exactly.

A results file is the COCO ``loadRes`` list ``[{image_id, category_id, bbox: [x, y, w, h],
score}]`` (also accepted: a dict with ``annotations`` or ``results``). Boxes stay ``xywh`` as
written; widths / heights of 0 are valid, negative ones are not; x / y may be negative.
Records keep file order within an image; numeric ids come out sorted, other ids in order of
first appearance. Messages name the file, the detection's position in the file and the field.
"""
import gc
import json
import re

import numpy as np
import pytest

from mmped.datasets.parsers.results import group_detections, load_coco_results


def _exact(msg):
    return '^' + re.escape(msg) + '$'


def _file(tmp_path, data, name='res.json'):
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data))
    return f


def _det(img, x=0, w=10, score=0.5, cat=None):
    d = dict(image_id=img, bbox=[x, 1, w, 20], score=score)
    if cat is not None:
        d['category_id'] = cat
    return d


def _as_lists(out):
    return {k: (b.tolist(), s.tolist()) for k, (b, s) in out.items()}


def test_list_file_grouped_by_image_in_file_order(tmp_path):
    f = _file(tmp_path, [_det(3, x=1), _det(1, x=2, score=0.25), _det(3, x=-3, w=0, score=2)])
    out = load_coco_results(f)
    assert list(out) == [1, 3]
    assert _as_lists(out) == {1: ([[2.0, 1.0, 10.0, 20.0]], [0.25]),
                              3: ([[1.0, 1.0, 10.0, 20.0], [-3.0, 1.0, 0.0, 20.0]], [0.5, 2.0])}
    for b, s in out.values():
        assert b.dtype == np.float64 and s.dtype == np.float64
    assert gc.isenabled()


@pytest.mark.parametrize('doc', [
    dict(annotations=[_det(1)]),
    dict(results=[_det(1)]),
    dict(annotations=[_det(1)], results=[_det(2)]),
])
def test_dict_files_hold_annotations_or_results(tmp_path, doc):
    assert _as_lists(load_coco_results(_file(tmp_path, doc))) == {
        1: ([[0.0, 1.0, 10.0, 20.0]], [0.5])}


@pytest.mark.parametrize('doc', [dict(images=[]), dict(annotations={}), '"x"', '3'])
def test_not_a_list_is_refused(tmp_path, doc):
    f = _file(tmp_path, doc)
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record top level: field 'results': expected a list of detections")):
        load_coco_results(f)


def test_empty_list_gives_no_image(tmp_path):
    assert load_coco_results(_file(tmp_path, [])) == {}
    assert load_coco_results(_file(tmp_path, [_det(1, cat=2)]), category_ids=[1]) == {}


def test_category_filter_default_category_is_one(tmp_path):
    f = _file(tmp_path, [_det(1, x=1, cat=1), _det(1, x=2, cat=2), _det(2, x=3),
                         _det(2, x=4, cat=3)])
    assert _as_lists(load_coco_results(f)) == {
        1: ([[1.0, 1, 10, 20], [2.0, 1, 10, 20]], [0.5, 0.5]),
        2: ([[3.0, 1, 10, 20], [4.0, 1, 10, 20]], [0.5, 0.5])}
    assert _as_lists(load_coco_results(f, category_ids=[1])) == {
        1: ([[1.0, 1, 10, 20]], [0.5]), 2: ([[3.0, 1, 10, 20]], [0.5])}
    assert _as_lists(load_coco_results(f, category_ids=(2, 3))) == {
        1: ([[2.0, 1, 10, 20]], [0.5]), 2: ([[4.0, 1, 10, 20]], [0.5])}


def test_non_finite_values_name_the_file_position(tmp_path):
    recs = [_det(1, cat=2), _det(1, cat=2), _det(1, cat=1), _det(1, cat=1, w=float('nan'))]
    f = _file(tmp_path, json.dumps(recs))
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record detection 3: field 'bbox/score': not finite: [0, 1, nan, 20], 0.5")):
        load_coco_results(f, category_ids=[1])
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record detection 3: field 'bbox/score': not finite: [0, 1, nan, 20], 0.5")):
        load_coco_results(f)
    g = _file(tmp_path, json.dumps([_det(1), _det(2, score=float('inf'))]), 'g.json')
    with pytest.raises(ValueError, match=_exact(
            f"{g}: record detection 1: field 'bbox/score': not finite: [0, 1, 10, 20], inf")):
        load_coco_results(g)


def test_negative_size_names_the_file_position(tmp_path):
    recs = [_det(1, cat=5), _det(1, w=-1, cat=5), _det(1), _det(1, w=-0.5)]
    f = _file(tmp_path, recs)
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record detection 3: field 'bbox': negative width/height in [0, 1, -0.5, 20]")):
        load_coco_results(f, category_ids=[1])
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record detection 1: field 'bbox': negative width/height in [0, 1, -1, 20]")):
        load_coco_results(f)
    h = _file(tmp_path, [dict(image_id=1, bbox=[0, 0, 1, -2], score=1)], 'h.json')
    with pytest.raises(ValueError, match=_exact(
            f"{h}: record detection 0: field 'bbox': negative width/height in [0, 0, 1, -2]")):
        load_coco_results(h)


@pytest.mark.parametrize('rec, field, detail', [
    ([1, 2], 'record', 'expected a dict, got [1, 2]'),
    (dict(bbox=[0, 0, 1, 1], score=1), 'image_id', 'missing'),
    (dict(image_id=1, score=1), 'bbox', 'missing'),
    (dict(image_id=1, bbox=[0, 0, 1, 1]), 'score', 'missing'),
    (dict(image_id=1, bbox=[0, 0, 1], score=1), 'bbox',
     'expected [x, y, w, h] numbers, got [0, 0, 1]'),
    (dict(image_id=1, bbox=[0, 0, 1, 1, 1], score=1), 'bbox',
     'expected [x, y, w, h] numbers, got [0, 0, 1, 1, 1]'),
    (dict(image_id=1, bbox='0001', score=1), 'bbox', "expected [x, y, w, h] numbers, got '0001'"),
    (dict(image_id=1, bbox=[0, '0', 1, 1], score=1), 'bbox',
     "expected [x, y, w, h] numbers, got [0, '0', 1, 1]"),
    (dict(image_id=1, bbox=[0, 0, True, 1], score=1), 'bbox',
     'expected [x, y, w, h] numbers, got [0, 0, True, 1]'),
    (dict(image_id=1, bbox=[0, 0, 1, None], score=1), 'bbox',
     'expected [x, y, w, h] numbers, got [0, 0, 1, None]'),
    (dict(image_id=1, bbox=[0, 0, 1, 1], score='0.5'), 'score', "expected a number, got '0.5'"),
    (dict(image_id=1, bbox=[0, 0, 1, 1], score=False), 'score', 'expected a number, got False'),
    (dict(image_id=1, bbox=[0, 0, 1, 1], score=None), 'score', 'expected a number, got None'),
])
def test_record_type_errors(tmp_path, rec, field, detail):
    f = _file(tmp_path, [_det(1), rec, dict(image_id=1)])
    with pytest.raises(ValueError, match=_exact(
            f'{f}: record detection 1: field {field!r}: {detail}')):
        load_coco_results(f)


def test_float_and_int_numbers_are_accepted(tmp_path):
    f = _file(tmp_path, [dict(image_id=1, bbox=[0.5, 1, 2, 3.25], score=1)])
    assert _as_lists(load_coco_results(f)) == {1: ([[0.5, 1.0, 2.0, 3.25]], [1.0])}


def test_type_errors_come_before_the_category_filter(tmp_path):
    f = _file(tmp_path, [dict(image_id=1, bbox=[0, 0, 1, 1], score='x', category_id=9)])
    with pytest.raises(ValueError, match=_exact(
            f"{f}: record detection 0: field 'score': expected a number, got 'x'")):
        load_coco_results(f, category_ids=[1])


# -------------------------------------------------------------------------- group_detections
def test_group_numeric_ids_sorted_integral_floats_become_ints():
    out = group_detections([2.0, 1.5, 2.0, 0],
                           [[0, 0, 1, 1], [1, 1, 1, 1], [2, 2, 1, 1], [3, 3, 1, 1]],
                           [0.1, 0.2, 0.3, 0.4])
    assert list(out) == [0, 1.5, 2]
    assert [type(k) for k in out] == [int, float, int]
    assert _as_lists(out) == {0: ([[3.0, 3, 1, 1]], [0.4]), 1.5: ([[1.0, 1, 1, 1]], [0.2]),
                              2: ([[0.0, 0, 1, 1], [2.0, 2, 1, 1]], [0.1, 0.3])}


def test_group_string_and_tuple_ids_in_order_of_first_appearance():
    out = group_detections(['b', 'a', 'b', 'c'], np.arange(16).reshape(4, 4), [4, 3, 2, 1])
    assert list(out) == ['b', 'a', 'c']
    assert all(b.dtype == np.float64 and s.dtype == np.float64 for b, s in out.values())
    assert _as_lists(out) == {'b': ([[0.0, 1, 2, 3], [8.0, 9, 10, 11]], [4.0, 2.0]),
                              'a': ([[4.0, 5, 6, 7]], [3.0]), 'c': ([[12.0, 13, 14, 15]], [1.0])}
    tup = group_detections([(2, 1), (1, 1), (2, 1)], np.zeros((3, 4)), [1, 2, 3])
    assert list(tup) == [(2, 1), (1, 1)]
    assert tup[(2, 1)][1].tolist() == [1.0, 3.0]
    mixed = group_detections([5, 'a', 5], np.zeros(12), [1, 2, 3])
    assert list(mixed) == [5, 'a'] and mixed[5][1].tolist() == [1.0, 3.0]


def test_group_flat_input_and_empty_keys():
    out = group_detections(np.array([7, 7]), list(range(8)), np.array([[0.5], [0.25]]))
    b, s = out[7]
    assert b.tolist() == [[0.0, 1, 2, 3], [4.0, 5, 6, 7]] and s.tolist() == [0.5, 0.25]
    assert b.dtype == np.float64 and s.dtype == np.float64 and b.shape == (2, 4)
    assert type(list(out)[0]) is int
    assert group_detections([], np.zeros((0, 4)), np.zeros(0)) == {}
    assert group_detections(np.array([]), np.zeros((0, 4)), np.zeros(0)) == {}


def test_group_keeps_file_order_within_an_image_beyond_small_sorts():
    # 60 interleaved detections of 3 images: an unstable sort would shuffle equal ids
    keys = [7, 3, 5] * 20
    scores = np.arange(60, dtype=np.float64)
    out = group_detections(keys, np.repeat(scores[:, None], 4, axis=1), scores)
    assert list(out) == [3, 5, 7]
    for start, key in ((1, 3), (2, 5), (0, 7)):
        assert out[key][1].tolist() == list(range(start, 60, 3))
        assert out[key][0][:, 0].tolist() == list(range(start, 60, 3))
    named = group_detections([str(k) for k in keys], np.zeros((60, 4)), scores)
    assert list(named) == ['7', '3', '5']
    assert named['3'][1].tolist() == list(range(1, 60, 3))
