# Copyright (c) mmped contributors. All rights reserved.
"""CUHK03 ``cuhk-03.mat`` (official release, MATLAB v7.3 = HDF5) -> image files + classic splits.

Layout of the .mat file (MATLAB shapes; HDF5 stores every array transposed):

- ``labeled`` / ``detected``: cell arrays with one cell per camera pair (5 pairs). Each cell is a
  ``(num_persons, 10)`` cell array of images, columns 1-5 from the first camera of the pair
  (view 1) and 6-10 from the second (view 2); missing images are empty cells. An image is a
  ``(H, W, 3)`` uint8 RGB array.
- ``testsets``: cell array of the 20 classic test splits, each a ``(100, 2)`` array of
  ``(camera pair, person index)`` rows (1-based).

Output (new files only, each written atomically):

- ``OUT/images_labeled/`` and ``OUT/images_detected/``: ``{pair}_{person:03d}_{view}_{k:02d}.png``
  with ``k`` the 1-based column (1-10), the naming of CUHK03-NP, read by
  :class:`mmped.datasets.CUHK03Dataset` (``protocol='classic'``, the default ``data_prefix``).
- ``OUT/cuhk03_classic_splits.json``: ``{"source", "num_persons" (per variant, per camera
  pair), "num_images" (per variant), "testsets"}``, ``testsets`` = 20 lists of
  ``'pair_person'`` identity keys: the ``classic_split_file`` of
  :class:`~mmped.datasets.CUHK03Dataset`.

Example::

    python tools/dataset_converters/cuhk03_mat_to_images.py \
        data/cuhk03/cuhk03_release/cuhk-03.mat data/cuhk03/

Malformed input raises an error naming the file, the record (variant, camera pair, person,
column, split) and the field.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from mmped.datasets.parsers.coco_writer import json_bytes
from mmped.datasets.parsers.converter_output import ConverterOutput

VARIANTS = ('labeled', 'detected')
SPLIT_FILE = 'cuhk03_classic_splits.json'
CONVERTER = 'cuhk03_mat_to_images'
VIEW_COLUMNS = 5  # columns 1-5: view 1, 6-10: view 2


def _h5py():
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a runtime requirement
        raise ImportError('reading cuhk-03.mat (MATLAB v7.3) needs h5py: pip install h5py') \
            from err
    return h5py


def _is_empty(ds) -> bool:
    """MATLAB v7.3 stores an empty array as its dims with the ``MATLAB_empty`` attribute."""
    return bool(ds.attrs.get('MATLAB_empty', 0)) or ds.size == 0


def _refs(f, node, where: str) -> np.ndarray:
    """A MATLAB cell array as an array of HDF5 references in MATLAB shape."""
    h5py = _h5py()
    if not isinstance(node, h5py.Dataset) or h5py.check_ref_dtype(node.dtype) is None:
        raise ValueError(f'{f.filename}: {where} is not a cell array (got '
                         f'{getattr(node, "dtype", type(node).__name__)})')
    return np.asarray(node[()]).T


def _deref(f, ref, where: str):
    if not ref:
        raise ValueError(f'{f.filename}: {where} is a null reference')
    try:
        return f[ref]
    except (KeyError, ValueError) as err:
        raise ValueError(f'{f.filename}: {where} is a dangling reference') from err


def _field(f, name: str):
    if name not in f:
        raise KeyError(f'{f.filename}: field {name!r} is missing (fields: {sorted(f.keys())})')
    return f[name]


def read_testsets(f) -> List[List[str]]:
    """The classic test splits of an open ``cuhk-03.mat``.

    Args:
        f (h5py.File): The open file.

    Returns:
        list[list[str]]: Per split, the ``'pair_person'`` keys (1-based) in file order.
    """
    cells = _refs(f, _field(f, 'testsets'), 'field "testsets"').reshape(-1, order='F')
    splits = []
    for s, ref in enumerate(cells):
        where = f'field "testsets", split {s + 1}'
        arr = np.asarray(_deref(f, ref, where)[()]).T
        if arr.ndim != 2 or arr.shape[1] != 2 or not arr.size:
            raise ValueError(f'{f.filename}: {where}: expected (N, 2) rows of (camera pair, '
                             f'person), got shape {arr.shape}')
        bad = ~np.isfinite(arr).all(1)
        bad[~bad] = ((arr[~bad] != np.round(arr[~bad])) | (arr[~bad] < 1)).any(1)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f'{f.filename}: {where}, row {row + 1}: (camera pair, person) '
                             f'must be positive integers, got {arr[row].tolist()}')
        splits.append([f'{int(p)}_{int(i)}' for p, i in arr])
    return splits


def read_grids(f, variant: str) -> List[np.ndarray]:
    """Per camera pair, the ``(num_persons, 10)`` image references of one variant.

    Args:
        f (h5py.File): The open ``cuhk-03.mat``.
        variant (str): ``'labeled'`` or ``'detected'``.

    Returns:
        list[np.ndarray]: One reference array per camera pair.
    """
    pairs = _refs(f, _field(f, variant), f'field {variant!r}').reshape(-1, order='F')
    grids = []
    for p, ref in enumerate(pairs):
        where = f'field {variant!r}, camera pair {p + 1}'
        grid = _refs(f, _deref(f, ref, where), where)
        if grid.ndim != 2 or grid.shape[1] != 2 * VIEW_COLUMNS:
            raise ValueError(f'{f.filename}: {where}: expected a (persons, '
                             f'{2 * VIEW_COLUMNS}) cell array, got shape {grid.shape}')
        grids.append(grid)
    return grids


def image_cells(f, variant: str, grids: List[np.ndarray], ext: str = '.png'
                ) -> List[List[Tuple[str, object, str]]]:
    """The non-empty image cells of one variant, per person, with their output names.

    Args:
        f (h5py.File): The open ``cuhk-03.mat``.
        variant (str): Field name (``images_<variant>/`` is the folder).
        grids (list[np.ndarray]): Output of :func:`read_grids`.
        ext (str): Image extension. Defaults to ``'.png'`` (lossless).

    Returns:
        list[list[tuple]]: Per person (camera pair by camera pair, possibly empty), the
        ``(relative path, HDF5 dataset, record)`` of each image, the path
        ``images_<variant>/{pair}_{person:03d}_{view}_{column:02d}{ext}``.
    """
    persons = []
    for p, grid in enumerate(grids, start=1):
        for i, row in enumerate(grid, start=1):
            cells = []
            persons.append(cells)
            for k, ref in enumerate(row, start=1):
                where = f'field {variant!r}, camera pair {p}, person {i}, column {k}'
                ds = _deref(f, ref, where)
                if not _is_empty(ds):
                    view = 1 if k <= VIEW_COLUMNS else 2
                    cells.append((f'images_{variant}/{p}_{i:03d}_{view}_{k:02d}{ext}', ds,
                                  where))
    return persons


def encode_image(f, ds, where: str, ext: str = '.png') -> bytes:
    """One crop, checked to be an ``(H, W, 3)`` uint8 RGB array, encoded as ``ext`` (BGR).

    Args:
        f (h5py.File): The open file (for messages).
        ds (h5py.Dataset): The image cell.
        where (str): Its record (variant, camera pair, person, column).
        ext (str): Image extension.

    Returns:
        bytes: The encoded image.
    """
    img = np.asarray(ds[()]).T
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or min(img.shape[:2]) < 1:
        raise ValueError(f'{f.filename}: {where}: expected an (H, W, 3) uint8 image, got '
                         f'{img.dtype} {img.shape}')
    ok, buf = cv2.imencode(ext, np.ascontiguousarray(img[..., ::-1]))
    if not ok:
        raise ValueError(f'{f.filename}: {where}: cannot encode as {ext}')
    return buf.tobytes()


def convert(mat_file: str, out_root: str, variants: Sequence[str] = VARIANTS,
            split_file: Optional[str] = SPLIT_FILE, skip_existing: bool = False) -> dict:
    """Convert ``cuhk-03.mat`` (see the module docstring).

    Every target is checked before anything is written (see
    :class:`~mmped.datasets.parsers.converter_output.ConverterOutput`): one that is (or
    links to) the input, or an existing file this converter did not write, is refused.

    Args:
        mat_file (str): Path of ``cuhk-03.mat``.
        out_root (str): Output root; gets ``images_<variant>/`` and ``split_file``.
        variants (Sequence[str]): Variants to write. Defaults to both.
        split_file (str, optional): JSON name under ``out_root`` for the classic test
            splits; None skips it.
        skip_existing (bool): Resume: keep the image files this converter already wrote.
            Defaults to False.

    Returns:
        dict: The split JSON content (also when not written).
    """
    h5py = _h5py()
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f'unknown variant {v!r}; expected one of {VARIANTS}')
    if not osp.isfile(mat_file):
        raise FileNotFoundError(f'{mat_file} not found')
    out = Path(out_root)
    try:
        f = h5py.File(mat_file, 'r')
    except OSError as err:
        raise ValueError(f'{mat_file}: not a MATLAB v7.3 (HDF5) file ({err}); the official '
                         'cuhk-03.mat is v7.3') from err
    with f:
        testsets = read_testsets(f) if split_file is not None else []
        grids = {v: read_grids(f, v) for v in variants}
        result = dict(source=osp.basename(mat_file),
                      num_persons={v: [len(g) for g in grids[v]] for v in variants},
                      num_images={}, testsets=testsets)
        for v in variants:  # validate everything before writing anything
            for s, keys in enumerate(testsets):
                for key in keys:
                    pair, person = map(int, key.split('_'))
                    if pair > len(grids[v]) or person > len(grids[v][pair - 1]):
                        raise ValueError(f'{mat_file}: field "testsets", split {s + 1}: '
                                         f'(camera pair {pair}, person {person}) is not in '
                                         f'field {v!r}')
        cells = {v: image_cells(f, v, grids[v]) for v in variants}
        output = ConverterOutput(out, CONVERTER, [mat_file])
        if split_file is not None:  # never replaced, not even with --skip-existing
            output.plan([split_file], 'error', ': converters write new files only')
        todo = set(output.plan([c[0] for v in variants for person in cells[v] for c in person],
                               'keep' if skip_existing else 'error',
                               ': converters write new files only (use --skip-existing to '
                               'resume)'))
        for v in variants:
            print(f'{v}: writing crops to {out / f"images_{v}"}', flush=True)
            bar = ProgressBar(len(cells[v]), file=sys.stdout)
            for person in cells[v]:
                for rel, ds, where in person:
                    if rel in todo:
                        output.write(rel, encode_image(f, ds, where))
                bar.update()
            sys.stdout.write('\n')
            num = sum(len(person) for person in cells[v])
            result['num_images'][v] = num
            print(f'{v}: {num} images of {sum(map(bool, cells[v]))} identities', flush=True)
    if split_file is not None:
        path = output.write(split_file, json_bytes(result, out / split_file))
        print(f'wrote {len(testsets)} classic test splits to {path}', flush=True)
    output.finish()
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        description='CUHK03 cuhk-03.mat -> images_{labeled,detected}/ + classic splits json')
    parser.add_argument('mat_file', help='cuhk-03.mat of the official release (v7.3)')
    parser.add_argument('out_root', help='output root, e.g. data/cuhk03/')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument('--split-file', default=SPLIT_FILE,
                        help=f'splits json under out_root (default {SPLIT_FILE})')
    parser.add_argument('--no-splits', action='store_true', help='do not write the splits')
    parser.add_argument('--skip-existing', action='store_true',
                        help='keep image files that already exist (resume)')
    args = parser.parse_args(argv)
    try:
        return convert(args.mat_file, args.out_root, args.variants,
                       None if args.no_splits else args.split_file, args.skip_existing)
    except (ValueError, KeyError, OSError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
