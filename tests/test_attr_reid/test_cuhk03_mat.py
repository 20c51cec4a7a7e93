# Copyright (c) mmped contributors. All rights reserved.
"""cuhk-03.mat (MATLAB v7.3 / HDF5) converter and the classic-protocol split file."""
import importlib.util
import json
from pathlib import Path
from typing import Dict, List, Optional

import cv2
import h5py
import numpy as np
import pytest

from mmped.datasets import CUHK03Dataset
from mmped.testing import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    'cuhk03_mat_to_images', REPO_ROOT / 'tools' / 'dataset_converters' / 'cuhk03_mat_to_images.py')
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)


def _image(rng: np.random.Generator) -> np.ndarray:
    """A MATLAB (H, W, 3) uint8 RGB image of random size."""
    h, w = int(rng.integers(6, 12)), int(rng.integers(3, 7))
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


def write_cuhk03_mat(path: Path, persons=(3, 2), seed: int = 0,
                     testsets: Optional[List[List[List[int]]]] = None,
                     bad: Optional[str] = None) -> Dict[str, Dict]:
    """A cuhk-03.mat in the official v7.3 layout, stored the way MATLAB writes it.

    MATLAB shapes are transposed in HDF5 and cells are object references into ``#refs#``;
    empty cells are ``uint64`` dims with ``MATLAB_empty = 1``. ``labeled`` has all 10 images
    of every person except person 1 of pair 1 (columns 4, 5 and 10 empty); ``detected`` has
    columns 1-2 and 6-7 only.

    Returns:
        dict: ``{variant: {(pair, person, column): RGB image}}``.
    """
    rng = np.random.default_rng(seed)
    images: Dict[str, Dict] = {}
    with h5py.File(path, 'w') as f:
        refs = f.create_group('#refs#')
        counter = iter(range(10**6))

        def store(arr: np.ndarray, empty: bool = False):
            ds = refs.create_dataset(f'r{next(counter)}', data=arr)
            if empty:
                ds.attrs['MATLAB_empty'] = np.uint8(1)
            return ds.ref

        def cell(ref_grid: np.ndarray, name: Optional[str] = None):
            arr = np.asarray(ref_grid, dtype=h5py.ref_dtype).T  # MATLAB -> HDF5 order
            if name is None:
                return store(arr)
            f.create_dataset(name, data=arr, dtype=h5py.ref_dtype)

        for variant in ('labeled', 'detected'):
            images[variant] = {}
            pair_refs = np.empty((len(persons), 1), dtype=object)
            for p, n in enumerate(persons, start=1):
                grid = np.empty((n, 10), dtype=object)
                for i in range(1, n + 1):
                    for k in range(1, 11):
                        keep = (k in (1, 2, 6, 7)) if variant == 'detected' else \
                            not (p == 1 and i == 1 and k in (4, 5, 10))
                        if keep:
                            img = _image(rng)
                            if bad == 'image' and (variant, p, i, k) == ('labeled', 2, 1, 3):
                                img = img[..., 0]
                            images[variant][(p, i, k)] = img
                            grid[i - 1, k - 1] = store(img.T)
                        else:
                            grid[i - 1, k - 1] = store(np.zeros(2, np.uint64), empty=True)
                pair_refs[p - 1, 0] = cell(grid)
            if bad != 'missing' or variant != 'detected':
                cell(pair_refs, variant)
        testsets = testsets if testsets is not None else [[[1, 2], [2, 1]], [[1, 3], [2, 2]]]
        split_refs = np.empty((len(testsets), 1), dtype=object)
        for s, rows in enumerate(testsets):
            split_refs[s, 0] = store(np.asarray(rows, dtype=np.float64).T)
        cell(split_refs, 'testsets')
    return images


def test_convert_writes_crops_and_splits(tmp_path):
    mat = tmp_path / 'cuhk-03.mat'
    images = write_cuhk03_mat(mat)
    out = tmp_path / 'cuhk03'
    result = tool.main([str(mat), str(out)])
    for variant, imgs in images.items():
        files = sorted(p.name for p in (out / f'images_{variant}').iterdir())
        assert files == sorted(f'{p}_{i:03d}_{1 if k <= 5 else 2}_{k:02d}.png'
                               for p, i, k in imgs)
        for (p, i, k), rgb in imgs.items():
            bgr = cv2.imread(str(out / f'images_{variant}' /
                                 f'{p}_{i:03d}_{1 if k <= 5 else 2}_{k:02d}.png'))
            assert np.array_equal(bgr[..., ::-1], rgb)
    assert len(images['labeled']) == 5 * 10 - 3 and len(images['detected']) == 5 * 4
    saved = json.loads((out / 'cuhk03_classic_splits.json').read_text())
    assert saved == result
    assert saved['testsets'] == [['1_2', '2_1'], ['1_3', '2_2']]
    assert saved['num_persons'] == dict(labeled=[3, 2], detected=[3, 2])
    assert saved['num_images'] == dict(labeled=47, detected=20)
    assert not [p for p in out.rglob('.*')]  # no temporary files left

    # the classic protocol of the dataset reads the crops and the official split
    kw = dict(data_root=str(out), protocol='classic', ann_file='absent.mat',
              classic_split_file='cuhk03_classic_splits.json')
    test = CUHK03Dataset(split='test', split_index=1, **kw)
    train = CUHK03Dataset(split='train', split_index=1, **kw)
    # identities sorted (pair, person): 1_1 1_2 1_3 2_1 2_2 -> pids 1..5; split 1 = 1_3, 2_2
    q_pids, q_cams = test.get_pids_camids('query')
    g_pids, g_cams = test.get_pids_camids('gallery')
    assert sorted(set(q_pids.tolist())) == [3, 5] and set(q_cams.tolist()) == {0}
    assert sorted(set(g_pids.tolist())) == [3, 5] and set(g_cams.tolist()) == {1}
    assert len(q_pids) == 10 and len(g_pids) == 10
    assert sorted(set(train.get_pids_camids()[0].tolist())) == [1, 2, 4]
    assert len(train) == 47 - 20 and train.metainfo['num_ids'] == 3
    det = CUHK03Dataset(split='query', variant='detected', **kw)
    assert sorted(set(det.get_pids_camids()[0].tolist())) == [2, 4] and len(det) == 4


def test_new_files_only_and_resume(tmp_path, capsys):
    mat = tmp_path / 'cuhk-03.mat'
    write_cuhk03_mat(mat)
    out = tmp_path / 'out'
    tool.main([str(mat), str(out), '--variants', 'detected'])
    with pytest.raises(SystemExit, match='cuhk03_classic_splits.json exists'):
        tool.main([str(mat), str(out), '--variants', 'detected'])
    with pytest.raises(SystemExit, match=r'1_001_1_01.png exists.*--skip-existing'):
        tool.main([str(mat), str(out), '--variants', 'detected', '--no-splits'])
    (out / 'images_detected' / '2_002_2_07.png').unlink()
    res = tool.main([str(mat), str(out), '--variants', 'detected', '--no-splits',
                     '--skip-existing'])
    assert (out / 'images_detected' / '2_002_2_07.png').is_file()
    assert res['num_images'] == dict(detected=20)
    with pytest.raises(SystemExit, match='refusing to overwrite input'):
        tool.main([str(mat), str(tmp_path), '--split-file', 'cuhk-03.mat'])
    printed = capsys.readouterr().out
    assert '5/5' in printed and 'detected: 20 images of 5 identities' in printed  # progress


@pytest.mark.parametrize('bad,match', [
    ('missing', r"cuhk-03.mat: field 'detected' is missing"),
    ('image', r"field 'labeled', camera pair 2, person 1, column 3: expected an \(H, W, 3\)"),
])
def test_malformed_mat_errors_name_field_and_record(tmp_path, bad, match):
    mat = tmp_path / 'cuhk-03.mat'
    write_cuhk03_mat(mat, bad=bad)
    with pytest.raises(SystemExit, match=match):
        tool.main([str(mat), str(tmp_path / 'out')])


@pytest.mark.parametrize('testsets,match', [
    ([[[1, 2], [0, 1]]], r'field "testsets", split 1, row 2: .* positive integers'),
    ([[[1, 2], [2, 3]]], r'split 1: \(camera pair 2, person 3\) is not in field'),
    ([[[1, 2, 3]]], r'split 1: expected \(N, 2\) rows'),
])
def test_malformed_testsets(tmp_path, testsets, match):
    mat = tmp_path / 'cuhk-03.mat'
    write_cuhk03_mat(mat, testsets=testsets)
    with pytest.raises(SystemExit, match=match):
        tool.main([str(mat), str(tmp_path / 'out')])
    assert not (tmp_path / 'out' / 'images_labeled').exists()  # validated before writing


def test_not_hdf5(tmp_path):
    mat = tmp_path / 'cuhk-03.mat'
    mat.write_bytes(b'MATLAB 5.0 MAT-file' + bytes(200))
    with pytest.raises(SystemExit, match='not a MATLAB v7.3'):
        tool.main([str(mat), str(tmp_path / 'out')])


def test_dataset_split_file_layouts(tiny_reid_root, tmp_path):
    root = tiny_reid_root / 'cuhk03'
    kw = dict(data_root=str(root), protocol='classic', split='query')
    pairs = tmp_path / 'pairs.json'
    pairs.write_text(json.dumps(dict(testsets=[[[1, 2], [1, 4]]])))
    assert set(CUHK03Dataset(classic_split_file=str(pairs), **kw)
               .get_pids_camids()[0].tolist()) == {2, 4}
    (root / 'bare.json').write_text(json.dumps([['1_5', '1_006']]))
    assert set(CUHK03Dataset(classic_split_file='bare.json', **kw)
               .get_pids_camids()[0].tolist()) == {5, 6}
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(testsets=[['1_2', 'x']])))
    with pytest.raises(ValueError, match=r"bad.json: split 0, entry 1: expected 'pair_person'"):
        CUHK03Dataset(classic_split_file=str(bad), **kw)
    with pytest.raises(FileNotFoundError, match='cuhk03_mat_to_images.py'):
        CUHK03Dataset(classic_split_file='missing.json', **kw)
