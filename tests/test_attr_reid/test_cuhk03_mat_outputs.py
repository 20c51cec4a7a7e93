# Copyright (c) mmped contributors. All rights reserved.
"""``cuhk03_mat_to_images.py`` never writes over its input or over files it did not write.

The input is a tiny ``cuhk-03.mat`` in the official MATLAB v7.3 layout
(:func:`write_cuhk03_mat`); what the converter wrote is listed in
``OUT/cuhk03_mat_to_images.manifest.json``.
"""
import json
import os
import stat

import pytest

from .test_cuhk03_mat import tool, write_cuhk03_mat

CROP = 'images_detected/1_001_1_01.png'


@pytest.fixture
def mat(tmp_path):
    path = tmp_path / 'cuhk-03.mat'
    write_cuhk03_mat(path)
    return path


def test_permissions_and_manifest(mat, tmp_path):
    out = tmp_path / 'out'
    tool.main([str(mat), str(out), '--variants', 'detected'])
    umask = os.umask(0)
    os.umask(umask)
    files = sorted(p for p in out.rglob('*') if p.is_file())
    assert len(files) == 20 + 2  # crops, splits json, manifest
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask, p
    listed = json.loads((out / 'cuhk03_mat_to_images.manifest.json').read_text())['files']
    assert sorted(listed) == sorted(str(p.relative_to(out)) for p in files
                                    if p.name != 'cuhk03_mat_to_images.manifest.json')
    assert all(v is not None for v in listed.values())  # sizes and times recorded


def test_refuses_an_output_linking_to_the_input(mat, tmp_path):
    before = mat.read_bytes()
    out = tmp_path / 'out'
    (out / 'images_detected').mkdir(parents=True)
    (out / CROP).symlink_to(mat)
    with pytest.raises(SystemExit, match=r'1_001_1_01.png: refusing to overwrite input'):
        tool.main([str(mat), str(out), '--variants', 'detected'])
    assert mat.read_bytes() == before
    assert sorted(p.name for p in (out / 'images_detected').iterdir()) == ['1_001_1_01.png']
    assert not (out / 'cuhk03_classic_splits.json').exists()


def test_resume_keeps_only_its_own_files(mat, tmp_path):
    """``--skip-existing`` keeps crops the converter wrote; a crop it did not write (placed
    there, or changed since) is refused, nothing written, the file unchanged."""
    out = tmp_path / 'out'
    (out / 'images_detected').mkdir(parents=True)
    (out / CROP).write_bytes(b'not a crop of ours')
    with pytest.raises(SystemExit, match='1_001_1_01.png exists and was not written by'):
        tool.main([str(mat), str(out), '--variants', 'detected', '--skip-existing'])
    assert (out / CROP).read_bytes() == b'not a crop of ours'
    assert sorted(p.name for p in (out / 'images_detected').iterdir()) == ['1_001_1_01.png']
    (out / CROP).unlink()
    tool.main([str(mat), str(out), '--variants', 'detected', '--no-splits'])
    (out / 'images_detected' / '2_002_2_07.png').unlink()
    res = tool.main([str(mat), str(out), '--variants', 'detected', '--no-splits',
                     '--skip-existing'])
    assert res['num_images'] == dict(detected=20)
    (out / CROP).write_bytes(b'edited')
    with pytest.raises(SystemExit, match='1_001_1_01.png exists and was not written by'):
        tool.main([str(mat), str(out), '--variants', 'detected', '--no-splits',
                   '--skip-existing'])
    assert (out / CROP).read_bytes() == b'edited'


def test_a_foreign_split_file_is_refused_before_any_crop(mat, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'cuhk03_classic_splits.json').write_text('{}')
    with pytest.raises(SystemExit, match='cuhk03_classic_splits.json exists and was not'):
        tool.main([str(mat), str(out)])
    assert (out / 'cuhk03_classic_splits.json').read_text() == '{}'
    assert not (out / 'images_labeled').exists()
    (out / 'cuhk03_mat_to_images.manifest.json').write_text('garbage')
    with pytest.raises(SystemExit, match='unreadable manifest'):
        tool.main([str(mat), str(out), '--no-splits'])
