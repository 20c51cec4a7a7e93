# Copyright (c) mmped contributors. All rights reserved.
"""``caltech_seq_to_coco.py`` writes new files only, atomically, and names bad input.

Inputs are a tiny Norpix ``.seq`` (1024-byte header with magic ``0xFEED`` and the frame count
at byte 572, then per frame a uint32 size, the JPEG bytes and a timestamp trailer) and a
``.vbb`` in the toolbox's MATLAB layout, both built by the helpers of
``test_parsers_tools.py``.
"""
import importlib.util
import os
import stat

import pytest

from mmped.testing import REPO_ROOT

from .test_parsers_tools import _write_seq, _write_vbb

_spec = importlib.util.spec_from_file_location(
    'caltech_seq_to_coco', REPO_ROOT / 'tools' / 'dataset_converters' / 'caltech_seq_to_coco.py')
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

FRAMES = ['set06_V000_I00029.jpg', 'set06_V000_I00059.jpg']


@pytest.fixture
def root(tmp_path):
    root = tmp_path / 'caltech'
    (root / 'annotations' / 'set06').mkdir(parents=True)
    (root / 'videos' / 'set06').mkdir(parents=True)
    _write_vbb(root / 'annotations' / 'set06' / 'V000.vbb')
    _write_seq(root / 'videos' / 'set06' / 'V000.seq')
    return root


def _snapshot(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob('*')) if p.is_file()}


def _run(root, out, *extra):
    return tool.main([str(root), str(out), '--sets', '6', *extra])


def test_writes_atomically_with_normal_permissions(root, tmp_path):
    out = tmp_path / 'coco'
    before = _snapshot(root)
    assert _run(root, out) == out / 'test.json'
    assert sorted(p.name for p in (out / 'images').iterdir()) == FRAMES
    umask = os.umask(0)
    os.umask(umask)
    for p in [out / 'test.json', *(out / 'images').iterdir()]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p
    assert not list(out.rglob('.*'))  # no temporary file left
    assert _snapshot(root) == before


def test_refuses_outputs_that_are_or_link_to_inputs(root, tmp_path):
    """A json or a frame path that is a link to an input (the .vbb, the .seq) stops the run
    before anything is written; the inputs stay byte for byte."""
    before = _snapshot(root)
    out = tmp_path / 'coco'
    out.mkdir()
    (out / 'test.json').symlink_to(root / 'annotations' / 'set06' / 'V000.vbb')
    with pytest.raises(SystemExit, match=r'test.json: refusing to overwrite input .*V000.vbb'):
        _run(root, out)
    (out / 'test.json').unlink()
    (out / 'images').mkdir()
    (out / 'images' / FRAMES[1]).symlink_to(root / 'videos' / 'set06' / 'V000.seq')
    with pytest.raises(SystemExit, match=r'I00059.jpg: refusing to overwrite input .*V000.seq'):
        _run(root, out)
    assert not (out / 'images' / FRAMES[0]).exists() and not (out / 'test.json').exists()
    assert _snapshot(root) == before


def test_never_overwrites_files_it_did_not_write(root, tmp_path):
    """An existing ``test.json`` or frame that is not in the converter's manifest is refused
    (nothing written); files it wrote are replaced only with ``--overwrite``, and not once
    changed by someone else."""
    out = tmp_path / 'coco'
    out.mkdir()
    (out / 'test.json').write_text('{"mine": 1}')
    with pytest.raises(SystemExit, match='test.json exists and was not written by'):
        _run(root, out, '--overwrite')
    assert (out / 'test.json').read_text() == '{"mine": 1}'
    assert not (out / 'images').exists()
    (out / 'test.json').unlink()
    _run(root, out)
    with pytest.raises(SystemExit, match=r'I00029.jpg exists \(written by caltech_seq_to_coco\)'
                                         '; --overwrite replaces'):
        _run(root, out)
    first = _snapshot(out)
    _run(root, out, '--overwrite')
    assert {p: b for p, b in _snapshot(out).items() if p.suffix != '.json'} == \
        {p: b for p, b in first.items() if p.suffix != '.json'}
    # a second split into the same folder: new files only, the first json untouched
    _run(root, out, '--split', 'val', '--skip', '25')
    assert (out / 'test.json').read_bytes() == first[out / 'test.json']
    edited = out / 'images' / FRAMES[0]
    edited.write_bytes(b'edited by hand')
    with pytest.raises(SystemExit, match='I00029.jpg exists and was not written by'):
        _run(root, out, '--overwrite')
    assert edited.read_bytes() == b'edited by hand'


def test_bad_input_names_file_record_and_field(root, tmp_path):
    seq = root / 'videos' / 'set06' / 'V000.seq'
    out = tmp_path / 'coco'
    _write_seq(seq, n_frame=40)  # the vbb annotates 60 frames: frame 59 is missing
    with pytest.raises(SystemExit, match=r'V000.seq: record frame 59: field jpeg: only 1 of 2'):
        _run(root, out)
    seq.write_bytes(b'\x00' * 2000)
    with pytest.raises(SystemExit, match='V000.seq: record header: field magic'):
        _run(root, tmp_path / 'coco2')
    assert not (tmp_path / 'coco2' / 'images').exists()  # checked before writing
    seq.unlink()
    with pytest.raises(SystemExit, match=r'V000.seq: record file: field video: missing'):
        _run(root, tmp_path / 'coco3')
    with pytest.raises(SystemExit, match='--skip must be >= 1'):
        _run(root, tmp_path / 'coco4', '--skip', '0')
