# Copyright (c) mmped contributors. All rights reserved.
"""Converter output folders (:class:`ConverterOutput`) and the COCO-json writer, exactly.

Rules under test (the module docstrings of ``converter_output`` / ``coco_writer``): a target
that is, or resolves to, an input or the manifest, a link, or an existing file the converter
did not write (or that changed since: size or modification time) is refused before anything
is written; ``existing`` decides about the converter's own files ('error' / 'replace' /
'keep'); the manifest lists the files with ``[size, mtime_ns]``. The COCO layout written is
that of CityPersons' ``val_gt.json``. Messages are compared in full.
"""
import json
import math
import os
import re

import pytest

from mmped.datasets.parsers.coco_writer import (
    check_not_input,
    json_bytes,
    records_to_coco,
    write_json_atomic,
)
from mmped.datasets.parsers.converter_output import EXISTING_MODES, ConverterOutput


def _exact(msg):
    return '^' + re.escape(msg) + '$'


def _manifest(root, name='conv'):
    return json.loads((root / f'{name}.manifest.json').read_bytes())


def _stamp(path):
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


# ---------------------------------------------------------------------------- construction
def test_modes_and_a_fresh_folder(tmp_path):
    assert EXISTING_MODES == ('error', 'replace', 'keep')
    out = ConverterOutput(str(tmp_path / 'o'), 'conv')
    assert out.root == tmp_path / 'o' and out.converter == 'conv'
    assert out.manifest == tmp_path / 'o' / 'conv.manifest.json'
    assert out.files == {} and out.planned is False
    assert out.existing == 'error' and out.hint == '' and out.inputs == {}
    assert not (tmp_path / 'o').exists()


def test_bad_mode_and_a_file_as_root(tmp_path):
    with pytest.raises(ValueError, match=_exact(
            "existing must be one of ('error', 'replace', 'keep'), got 'skip'")):
        ConverterOutput(tmp_path, 'conv', existing='skip')
    f = tmp_path / 'file'
    f.write_text('x')
    with pytest.raises(ValueError, match=_exact(f'{f} exists and is not a folder')):
        ConverterOutput(f, 'conv')
    dangling = tmp_path / 'dangling'
    dangling.symlink_to(tmp_path / 'nowhere')
    with pytest.raises(ValueError, match=_exact(f'{dangling} exists and is not a folder')):
        ConverterOutput(dangling, 'conv')
    for mode in EXISTING_MODES:
        assert ConverterOutput(tmp_path, 'conv', existing=mode).existing == mode


@pytest.mark.parametrize('content, err', [
    (b'{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'),
    (b'{"converter": "other", "files": {}}', "not this converter's manifest"),
    (b'{"files": {}}', "not this converter's manifest"),
    (b'{"converter": "conv", "files": []}', "not this converter's manifest"),
    (b'{"converter": "conv"}', "'files'"),
    (b'[1]', 'list indices must be integers or slices, not str'),
])
def test_unreadable_manifest_is_refused(tmp_path, content, err):
    (tmp_path / 'conv.manifest.json').write_bytes(content)
    with pytest.raises(ValueError, match=_exact(
            f'{tmp_path / "conv.manifest.json"}: unreadable manifest ({err}); refusing to write '
            'into this folder')):
        ConverterOutput(tmp_path, 'conv')


def test_manifest_that_is_a_folder_is_refused(tmp_path):
    (tmp_path / 'conv.manifest.json').mkdir()
    with pytest.raises(ValueError, match='^' + re.escape(
            f'{tmp_path / "conv.manifest.json"}: unreadable manifest ([Errno 21] Is a directory')):
        ConverterOutput(tmp_path, 'conv')


# ------------------------------------------------------------------------- plan/write/finish
def test_plan_write_finish_and_the_manifest_layout(tmp_path):
    root = tmp_path / 'o'
    out = ConverterOutput(root, 'conv')
    with pytest.raises(ValueError, match=_exact(f'{root / "a.txt"} was not planned; call plan() '
                                                'first')):
        out.write('a.txt', b'x')
    assert out.plan(['d/b.txt', 'a.txt']) == ['d/b.txt', 'a.txt']
    assert out.planned is True
    raw = (root / 'conv.manifest.json').read_bytes()
    assert raw == json.dumps(dict(converter='conv', files={'a.txt': None, 'd/b.txt': None}),
                             indent=0).encode()
    with pytest.raises(ValueError, match=_exact(f'{root / "c.txt"} was not planned; call plan() '
                                                'first')):
        out.write('c.txt', b'x')
    assert out.write('a.txt', b'hello') == root / 'a.txt'
    assert (root / 'a.txt').read_bytes() == b'hello'
    assert out.files['a.txt'] == _stamp(root / 'a.txt')
    assert _manifest(root)['files']['a.txt'] is None  # on disk only at finish()
    out.write('d/b.txt', b'hi')
    out.finish()
    assert _manifest(root) == dict(converter='conv', files={'a.txt': _stamp(root / 'a.txt'),
                                                            'd/b.txt': _stamp(root / 'd/b.txt')})
    assert ConverterOutput(root, 'conv').files == _manifest(root)['files']


def _written(tmp_path, name='o', **kw):
    root = tmp_path / name
    out = ConverterOutput(root, 'conv')
    out.plan(['a.txt', 'b.txt'])
    out.write('a.txt', b'aaa')
    out.write('b.txt', b'bbb')
    out.finish()
    return root, ConverterOutput(root, 'conv', **kw)


def test_own_files_error_by_default_with_the_hint(tmp_path):
    root, out = _written(tmp_path)
    with pytest.raises(ValueError, match=_exact(f'{root / "a.txt"} exists (written by conv)')):
        out.plan(['new.txt', 'a.txt'])
    assert 'new.txt' not in out.files and not out.planned  # nothing recorded
    root, out = _written(tmp_path, 'h', hint=' (pass --overwrite)')
    with pytest.raises(ValueError, match=_exact(
            f'{root / "a.txt"} exists (written by conv) (pass --overwrite)')):
        out.plan(['a.txt'])
    with pytest.raises(ValueError, match=_exact(f'{root / "a.txt"} exists (written by conv)!')):
        out.plan(['a.txt'], hint='!')
    with pytest.raises(ValueError, match=_exact(f'{root / "a.txt"} exists (written by conv)')):
        out.plan(['a.txt'], hint='')


def test_replace_and_keep(tmp_path):
    root, out = _written(tmp_path, existing='replace')
    assert out.plan(['a.txt', 'c.txt']) == ['a.txt', 'c.txt']
    assert out.files == {'a.txt': None, 'b.txt': _stamp(root / 'b.txt'), 'c.txt': None}
    assert _manifest(root)['files'] == out.files
    out.write('a.txt', b'new')
    assert (root / 'a.txt').read_bytes() == b'new'
    root, out = _written(tmp_path, 'k', existing='keep')
    stamp_a = _stamp(root / 'a.txt')
    assert out.plan(['a.txt', 'c.txt']) == ['c.txt']
    assert out.files['a.txt'] == stamp_a
    # the per-call mode overrides the instance's
    assert out.plan(['a.txt'], existing='replace') == ['a.txt']
    root, out = _written(tmp_path, 'e')
    assert out.plan(['b.txt', 'a.txt'], existing='keep') == []
    assert out.planned is True
    with pytest.raises(ValueError, match=_exact(
            "existing must be one of ('error', 'replace', 'keep'), got 'overwrite'")):
        out.plan(['a.txt'], existing='overwrite')


def test_files_changed_since_or_not_listed_are_not_ours(tmp_path):
    root, _ = _written(tmp_path)
    msg = 'exists and was not written by conv; refusing to overwrite it'
    (root / 'a.txt').write_bytes(b'AAAA')  # size changed
    st = os.stat(root / 'b.txt')
    os.utime(root / 'b.txt', ns=(st.st_atime_ns, st.st_mtime_ns + 1000))  # time changed
    (root / 'x.txt').write_bytes(b'x')  # never listed
    out = ConverterOutput(root, 'conv', existing='replace')
    for rel in ('a.txt', 'b.txt', 'x.txt'):
        with pytest.raises(ValueError, match=_exact(f'{root / rel} {msg}')):
            out.plan([rel])
    # same size, same time: still ours
    (root / 'a.txt').write_bytes(b'aaa')
    st = os.stat(root / 'b.txt')
    os.utime(root / 'a.txt', ns=(st.st_atime_ns, out.files['a.txt'][1]))
    assert out.plan(['a.txt']) == ['a.txt']


def test_planned_but_unwritten_files_count_as_ours(tmp_path):
    root = tmp_path / 'o'
    ConverterOutput(root, 'conv').plan(['a.txt', 'd'])
    (root / 'a.txt').write_bytes(b'partial')  # interrupted run
    (root / 'd').mkdir()
    out = ConverterOutput(root, 'conv', existing='replace')
    assert out.plan(['a.txt']) == ['a.txt']
    with pytest.raises(ValueError, match=_exact(
            f'{root / "d"} exists and was not written by conv; refusing to overwrite it')):
        out.plan(['d'])


def test_inputs_manifest_and_links_are_refused(tmp_path):
    src = tmp_path / 'in.json'
    src.write_text('{}')
    root = tmp_path / 'o'
    root.mkdir()
    out = ConverterOutput(root, 'conv', inputs=[str(src)], existing='replace')
    assert out.inputs == {src.resolve(): src}
    with pytest.raises(ValueError, match=_exact(
            f'{root / "../in.json"}: refusing to overwrite input {src} (the output is, or links '
            'to, it)')):
        out.plan(['../in.json'])
    (root / 'link.json').symlink_to(src)
    with pytest.raises(ValueError, match=_exact(
            f'{root / "link.json"}: refusing to overwrite input {src} (the output is, or links '
            'to, it)')):
        out.plan(['link.json'])
    with pytest.raises(ValueError, match=_exact(
            f'{root / "conv.manifest.json"}: refusing to overwrite input '
            f'{root / "conv.manifest.json"} (the output is, or links to, it)')):
        out.plan(['conv.manifest.json'])
    other = tmp_path / 'other.txt'
    other.write_text('x')
    (root / 'l2').symlink_to(other)
    (root / 'l3').symlink_to(tmp_path / 'nowhere')
    for rel in ('l2', 'l3'):
        with pytest.raises(ValueError, match=_exact(
                f'{root / rel} is a link; refusing to write through it')):
            out.plan([rel])
    assert out.planned is False and not (root / 'conv.manifest.json').exists()
    assert other.read_text() == 'x' and src.read_text() == '{}'


# ---------------------------------------------------------------------------- records_to_coco
def _inst(bbox, ignore=0, **kw):
    return dict(bbox=bbox, ignore_flag=ignore, **kw)


def test_records_to_coco_layout():
    records = [
        dict(img_id=1, file_name='city/a.png', width=2048, height=1024, instances=[
            _inst([1, 2, 11, 22], height=25.0, vis_ratio=0.5, vis_bbox=[2, 3, 6, 13],
                  occlusion=1, category='pedestrian'),
            _inst([0, 0, 4, 8], ignore=True, vis_ratio=math.inf)]),
        dict(img_id='set00_V000_I00029', file_name='b.jpg', condition='night', instances=[
            _inst([5, 5, 7, 9])]),
        dict(img_id=7, file_name='c.png', condition='', instances=[])]
    assert records_to_coco(records) == dict(
        images=[dict(id=1, file_name='city/a.png', width=2048, height=1024),
                dict(id=2, file_name='b.jpg', width=0, height=0, orig_id='set00_V000_I00029',
                     condition='night'),
                dict(id=3, file_name='c.png', width=0, height=0, orig_id=7)],
        annotations=[
            dict(id=1, image_id=1, category_id=1, bbox=[1, 2, 10, 20], area=200, ignore=0,
                 iscrowd=0, height=25.0, vis_ratio=0.5, occlusion=1, category='pedestrian',
                 vis_bbox=[2, 3, 4, 10]),
            dict(id=2, image_id=1, category_id=1, bbox=[0, 0, 4, 8], area=32, ignore=1,
                 iscrowd=1, height=8, vis_ratio=1.0, occlusion=-1, category=''),
            dict(id=3, image_id=2, category_id=1, bbox=[5, 5, 2, 4], area=8, ignore=0,
                 iscrowd=0, height=4, vis_ratio=1.0, occlusion=-1, category='')],
        categories=[dict(id=1, name='pedestrian')])


def test_records_to_coco_im_name_is_the_basename():
    recs = [dict(img_id=1, file_name='a/b/c.png', instances=[]),
            dict(img_id=2, file_name='d.png', instances=[])]
    images = records_to_coco(recs, im_name=True)['images']
    assert [(i['im_name'], i['file_name']) for i in images] == [('c.png', 'a/b/c.png'),
                                                                 ('d.png', 'd.png')]
    assert 'im_name' not in records_to_coco(recs)['images'][0]
    assert 'orig_id' not in images[0] and 'orig_id' not in images[1]
    assert records_to_coco([dict(img_id='1', file_name='x', instances=[])])['images'][0][
        'orig_id'] == '1'


def test_written_coco_reads_back_through_the_common_helpers(tmp_path):
    from mmped.datasets.parsers.common import coco_records, iter_coco_annotations, load_coco_json
    recs = [dict(img_id='a', file_name='a.png', width=10, height=20,
                 instances=[_inst([1, 2, 3, 5])])]
    f = write_json_atomic(tmp_path / 'gt.json', records_to_coco(recs))
    data = load_coco_json(f)
    images, by_id = coco_records(f, data)
    assert images == [dict(img_id=1, file_name='a.png', width=10, height=20, instances=[])]
    assert [b for _, _, _, b in iter_coco_annotations(f, data, by_id)] == [[1.0, 2.0, 2.0, 3.0]]


# ------------------------------------------------------- check_not_input / write_json_atomic
def test_check_not_input(tmp_path):
    src = tmp_path / 'in.json'
    src.write_text('{}')
    folder = tmp_path / 'imgs'
    (folder / 'sub').mkdir(parents=True)
    (folder / 'sub' / 'x.json').write_text('{}')
    check_not_input(tmp_path / 'out.json', [src, folder])
    check_not_input(folder / 'new.json', [src, folder])  # new file inside an input folder
    check_not_input(src, [])
    with pytest.raises(ValueError, match=_exact(f'refusing to overwrite input {src}')):
        check_not_input(tmp_path / 'x' / '..' / 'in.json', [folder, src])
    with pytest.raises(ValueError, match=_exact(f'refusing to overwrite input {folder}')):
        check_not_input(folder / 'sub' / 'x.json', [src, str(folder)])
    with pytest.raises(ValueError, match=_exact(f'refusing to overwrite input {folder}')):
        check_not_input(folder, [folder])
    # an existing file next to (not inside) an input folder
    check_not_input(src, [folder])


def test_write_json_atomic(tmp_path):
    f = tmp_path / 'd' / 'o.json'
    assert write_json_atomic(str(f), {'a': [1, 2.5]}) == f
    assert f.read_bytes() == b'{"a": [1, 2.5]}'
    write_json_atomic(f, [3])  # overwrite defaults to True
    assert f.read_bytes() == b'[3]'
    with pytest.raises(ValueError, match=_exact(f'{f} exists; refusing to overwrite it')):
        write_json_atomic(f, [4], overwrite=False)
    assert f.read_bytes() == b'[3]'
    g = tmp_path / 'g.json'
    assert write_json_atomic(g, [5], overwrite=False) == g and g.read_bytes() == b'[5]'
    link = tmp_path / 'link.json'
    link.symlink_to(tmp_path / 'nowhere.json')
    with pytest.raises(ValueError, match=_exact(f'{link} exists; refusing to overwrite it')):
        write_json_atomic(link, [6], overwrite=False)
    with pytest.raises(ValueError, match=_exact(f'refusing to overwrite input {g}')):
        write_json_atomic(g, [7], inputs=[str(g)])
    assert g.read_bytes() == b'[5]'
    with pytest.raises(ValueError, match=_exact(
            f'{g}: Out of range float values are not JSON compliant (NaN or infinite value in '
            'the output)')):
        write_json_atomic(g, {'v': math.nan})
    assert g.read_bytes() == b'[5]'


def test_json_bytes():
    assert json_bytes({'b': 'é', 'a': None}, 'x.json') == b'{"b": "\\u00e9", "a": null}'
    with pytest.raises(ValueError, match=_exact(
            'x.json: Out of range float values are not JSON compliant (NaN or infinite value in '
            'the output)')):
        json_bytes([math.inf], 'x.json')
