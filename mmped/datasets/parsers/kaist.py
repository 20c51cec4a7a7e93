# Copyright (c) mmped contributors. All rights reserved.
"""KAIST multispectral pedestrian annotation parsers (evaluation side).

- ``KAIST_annotation.json`` (MLPD layout, COCO style): ``images`` with ``im_name`` such as
  ``set06/V000/I00019``; ``annotations`` with ``bbox`` [x, y, w, h], ``height``, ``occlusion``
  (0 none, 1 partial, 2 heavy) and ``ignore`` (1 for ``people``, ``person?``, ``cyclist``).
- bbGt version 3 text, one file per frame (original, improved test of Liu et al., sanitized
  train of Li et al., and the paired visible / lwir annotations of Zhang et al. -- point the
  parser at the ``visible`` or ``lwir`` sub-folder): ``% bbGt version=3`` then
  ``lbl x y w h occ xv yv wv hv ign ang``. Only ``person`` is non-ignored.
- Detection text results: ``img_index(1-based),x,y,w,h,score`` (the MLPD / MATLAB wrapper
  format); the index refers to the position in the test list (``test-all-20.txt``).

Day / night: sets 00-02 and 06-08 are day, 03-05 and 09-11 night (the test split: first 1455
images day, last 797 night).
"""
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .common import (
    ImageRecord,
    PathLike,
    add_image,
    bbgt_vis_ratio,
    check_box,
    gc_paused,
    load_coco_json,
    make_instance,
    parse_error,
    read_lines,
    to_float,
)
from .results import group_detections

KAIST_DAY_SETS = (0, 1, 2, 6, 7, 8)
KAIST_NIGHT_SETS = (3, 4, 5, 9, 10, 11)
_SET_RE = re.compile(r'set(\d\d)')
_CATEGORY_NAMES = {0: 'ignore', 1: 'person', 2: 'cyclist', 3: 'people', 4: 'person?'}


def kaist_condition(name: str) -> str:
    """Day / night condition of a KAIST frame from its set id.

    Args:
        name (str): Any name containing ``setXX`` (``set06/V000/I00019``, ``set06_V000_I00019``).

    Returns:
        str: ``'day'`` or ``'night'``.
    """
    m = _SET_RE.search(name)
    if m is None:
        raise ValueError(f'cannot find a setXX id in KAIST name {name!r}')
    set_id = int(m.group(1))
    if set_id in KAIST_DAY_SETS:
        return 'day'
    if set_id in KAIST_NIGHT_SETS:
        return 'night'
    raise ValueError(f'unknown KAIST set {set_id} in {name!r}')


@gc_paused()
def parse_kaist_json(path: PathLike) -> List[ImageRecord]:
    """Parse the MLPD-layout ``KAIST_annotation.json``.

    Args:
        path (str | Path): The json file.

    Returns:
        list[dict]: Image records in file order (``img_id`` = json id, ``file_name`` =
        ``im_name``, ``condition`` day/night); instances carry ``occlusion`` and the json
        ``height``; ``vis_ratio`` is ``inf`` (not annotated).
    """
    data = load_coco_json(path)
    cats = {c['id']: c['name'] for c in data.get('categories', [])} or _CATEGORY_NAMES
    records, by_id = [], {}
    for i, img in enumerate(data['images']):
        name = img.get('im_name', img.get('file_name'))
        if name is None or 'id' not in img:
            raise parse_error(path, f'image {i}', 'im_name/id', 'missing')
        rec = dict(img_id=img['id'], file_name=name, width=int(img.get('width', 640)),
                   height=int(img.get('height', 512)), condition=kaist_condition(name),
                   instances=[])
        records.append(rec)
        add_image(by_id, rec, path, i)
    for i, ann in enumerate(data['annotations']):
        rec = by_id.get(ann.get('image_id'))
        if rec is None:
            raise parse_error(path, f'annotation {i}', 'image_id',
                              f'unknown image {ann.get("image_id")!r}')
        box = check_box(path, f'annotation {i}', 'bbox', ann.get('bbox'))
        ignore = bool(ann.get('ignore', 0))
        occ = ann.get('occlusion', 0)
        if occ not in (0, 1, 2):
            raise parse_error(path, f'annotation {i}', 'occlusion', f'expected 0/1/2, got {occ!r}')
        cat = cats.get(ann.get('category_id'), 'person')
        rec['instances'].append(
            make_instance(box, ignore or cat != 'person', 'ignore' if ignore else cat,
                          height=to_float(path, f'annotation {i}', 'height',
                                          ann.get('height', box[3])),
                          occlusion=int(occ), ann_id=ann.get('id')))
    return records


def parse_bbgt_file(path: PathLike, positive_labels: Sequence[str] = ('person', ),
                    ignore_labels: Optional[Sequence[str]] = None,
                    visibility: str = 'caltech') -> List[dict]:
    """Parse one bbGt (version 0-3) per-frame annotation file.

    Args:
        path (str | Path): The text file.
        positive_labels (Sequence[str]): Labels that are not ignored. Caltech and KAIST:
            ``('person',)``.
        ignore_labels (Sequence[str], optional): bbGt's ``ilbls``. When given, the toolbox's
            ``lbls`` / ``ilbls`` semantics apply: objects whose label is in neither list are
            dropped, those in ``ignore_labels`` are ignore regions. None (KAIST): every label
            other than ``positive_labels`` becomes an ignore region.
        visibility (str): ``'caltech'`` (``inf`` without occlusion box, the Caltech
            code3.2.1 convention) or ``'toolbox'`` (the current pdollar toolbox ``bbGt``:
            1 without occlusion box, 0 when the visible box equals the full box).

    Returns:
        list[dict]: Instance dicts; ``occlusion`` is the ``occ`` column (KAIST 0/1/2) and
        ``vis_ratio`` follows the Caltech convention (``inf`` without occlusion box).
    """
    lines = read_lines(path)
    version = 0
    if lines and lines[0].startswith('%'):
        m = re.match(r'%\s*bbGt version=(\d+)', lines[0])
        if m is None:
            raise parse_error(path, 'line 1', 'header', f'unexpected {lines[0]!r}')
        version = int(m.group(1))
        lines = lines[1:]
        start = 2
    else:
        start = 1
    ncols = {0: 10, 1: 10, 2: 11, 3: 12}.get(version)
    if ncols is None:
        raise parse_error(path, 'line 1', 'version', f'unknown bbGt version {version}')
    instances = []
    for ln, line in enumerate(lines, start=start):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < ncols:
            raise parse_error(path, f'line {ln}', 'columns',
                              f'expected {ncols} columns for version {version}, got {len(parts)}')
        vals = [to_float(path, f'line {ln}', f'column {k + 2}', v)
                for k, v in enumerate(parts[1:ncols])]
        lbl = parts[0]
        box, occ, vis = vals[0:4], vals[4], vals[5:9]
        ign = bool(vals[9]) if ncols >= 11 else False
        if box[2] < 0 or box[3] < 0:
            raise parse_error(path, f'line {ln}', 'bbox', f'negative width/height {box}')
        if ignore_labels is None:
            ign = ign or lbl not in positive_labels
        elif lbl in ignore_labels:
            ign = True
        elif lbl not in positive_labels:
            continue  # bbGt drops labels in neither lbls nor ilbls
        instances.append(
            make_instance(box, ign, lbl,
                          vis_ratio=bbgt_vis_ratio(occ, box, vis, visibility),
                          vis_xywh=vis if any(vis) else None, occlusion=int(occ)))
    return instances


def _frame_name(rel: Path) -> str:
    """``set06/V000/I00019.txt`` or ``set06_V000_I00019.txt`` -> ``set06/V000/I00019``."""
    stem = rel.with_suffix('').as_posix()
    m = re.search(r'(set\d\d)[/_](V\d\d\d)[/_](?:[a-z]+/)?(I\d+)', stem)
    return '/'.join(m.groups()) if m else stem


def parse_kaist_txt_dir(path: PathLike,
                        image_set: Optional[PathLike] = None) -> List[ImageRecord]:
    """Parse a folder of KAIST bbGt per-frame text annotations.

    Args:
        path (str | Path): Folder with ``setXX_VYYY_IZZZZZ.txt`` files or a
            ``setXX/VYYY/IZZZZZ.txt`` tree (for paired annotations pass ``.../visible`` or
            ``.../lwir``).
        image_set (str | Path, optional): List file (``test-all-20.txt``) fixing which frames
            and in which order; default: all files sorted by frame name.

    Returns:
        list[dict]: Image records; ``img_id`` is the 0-based position (so that the
        1-based ``img_index`` of KAIST text results is ``img_id + 1``, as in MLPD's json).
    """
    root = Path(path)
    files = {_frame_name(p.relative_to(root)): p for p in root.rglob('*.txt')}
    if not files:
        raise parse_error(path, 'folder', '*.txt', 'no annotation file found')
    if image_set is not None:
        names = [ln.strip() for ln in read_lines(image_set) if ln.strip()]
        missing = [n for n in names if n not in files]
        if missing:
            raise parse_error(image_set, missing[0], 'frame', f'no annotation file in {root}')
    else:
        names = sorted(files)
    return [
        dict(img_id=i, file_name=name, width=640, height=512, condition=kaist_condition(name),
             instances=parse_bbgt_file(files[name])) for i, name in enumerate(names)
    ]


def parse_kaist(path: PathLike, image_set: Optional[PathLike] = None) -> List[ImageRecord]:
    """Parse KAIST annotations in either layout (json file or bbGt text folder).

    Args:
        path (str | Path): ``KAIST_annotation.json`` or a folder of bbGt files.
        image_set (str | Path, optional): Frame list for the text layout.

    Returns:
        list[dict]: Image records.
    """
    if Path(path).is_dir():
        return parse_kaist_txt_dir(path, image_set)
    return parse_kaist_json(path)


def load_kaist_txt_results(path: PathLike,
                           img_ids: Optional[Sequence] = None
                           ) -> Dict[object, Tuple[np.ndarray, np.ndarray]]:
    """Read KAIST text detections ``img_index(1-based),x,y,w,h,score``.

    Args:
        path (str | Path): The result file (comma or whitespace separated).
        img_ids (Sequence, optional): Image ids in test-list order; ``img_index`` k maps to
            ``img_ids[k - 1]``. Default: ``k - 1`` (the ids of MLPD's json and of
            :func:`parse_kaist_txt_dir`).

    Returns:
        dict: ``img_id -> (bboxes (D, 4) xywh float64, scores (D,))`` in file order.
    """
    rows = []
    for ln, line in enumerate(read_lines(path), start=1):
        parts = line.replace(',', ' ').split()
        if not parts:
            continue
        if len(parts) != 6:
            raise parse_error(path, f'line {ln}', 'columns', f'expected 6 values, got {len(parts)}')
        rows.append([to_float(path, f'line {ln}', f'column {k + 1}', v)
                     for k, v in enumerate(parts)])
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    idx = arr[:, 0].astype(np.int64)
    if len(idx) and (idx.min() < 1 or (img_ids is not None and idx.max() > len(img_ids))):
        bad = int(np.flatnonzero((idx < 1) | (idx > (len(img_ids) if img_ids else idx.max())))[0])
        raise parse_error(path, f'line {bad + 1}', 'img_index', f'out of range: {idx[bad]}')
    keys = idx - 1 if img_ids is None else np.asarray(img_ids, dtype=object)[idx - 1]
    return group_detections(keys, arr[:, 1:5], arr[:, 5])
