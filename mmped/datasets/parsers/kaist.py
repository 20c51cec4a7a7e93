# Copyright (c) mmped contributors. All rights reserved.
"""KAIST multispectral pedestrian annotation parsers (evaluation side).

- ``KAIST_annotation.json`` (MLPD layout, COCO style): ``images`` with ``im_name`` such as
  ``set06/V000/I00019``; ``annotations`` with ``bbox`` [x, y, w, h], ``height``, ``occlusion``
  (0 none, 1 partial, 2 heavy) and ``ignore`` (1 for ``people``, ``person?``, ``cyclist``).
- bbGt version 3 text, one file per frame, read in the layouts the sets are distributed in
  (original ``setXX/VYYY/IZZZZZ.txt``; improved test of Liu et al. and sanitized train of Li et
  al. ``setXX_VYYY_IZZZZZ.txt``; paired visible / lwir boxes of Zhang et al.
  ``setXX/VYYY/{visible,lwir}/IZZZZZ.txt``): ``% bbGt version=3`` then
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
    bbgt_vis_ratio,
    coco_records,
    gc_paused,
    iter_coco_annotations,
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
    records, by_id = coco_records(path, data, name_key='im_name', default_size=(640, 512))
    for rec in records:
        rec['condition'] = kaist_condition(rec['file_name'])
    for i, ann, rec, box in iter_coco_annotations(path, data, by_id):
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


#: KAIST frame in a relative annotation path; a ``visible`` / ``lwir`` token may sit anywhere
#: (``setXX/VYYY/visible/IZZZZZ``, ``setXX_VYYY_lwir_IZZZZZ``, ``lwir/setXX/VYYY/IZZZZZ``)
_TXT_FRAME_RE = re.compile(r'(set\d\d)[/_](V\d\d\d)[/_](?:(?:visible|lwir)[/_])?(I\d+)')
_MODALITY_RE = re.compile(r'(?:^|[/_])(visible|lwir)(?=[/_]|$)')
KAIST_MODALITIES = ('visible', 'lwir')


def kaist_txt_key(rel: PathLike) -> Tuple[str, Optional[str]]:
    """Frame name and modality of a bbGt file path relative to the annotation root.

    Args:
        rel (str | Path): e.g. ``set06/V000/I00019.txt`` (original), ``set06_V000_I00019.txt``
            (improved / sanitized), ``set06/V000/lwir/I00019.txt`` (paired).

    Returns:
        tuple[str, str | None]: ``('set06/V000/I00019', 'lwir')``; the modality is None
        when the path names none (boxes shared by both images).
    """
    stem = Path(rel).with_suffix('').as_posix()
    m = _TXT_FRAME_RE.search(stem)
    if m is None:
        raise ValueError(f'not a KAIST annotation file name (setXX/VYYY/IZZZZZ.txt): {rel}')
    mod = _MODALITY_RE.search(stem)
    return '/'.join(m.groups()), mod.group(1) if mod else None


def _index_txt_dir(root: Path) -> Dict[Optional[str], Dict[str, Path]]:
    """``modality (None = shared) -> frame name -> file`` of a bbGt annotation tree."""
    index: Dict[Optional[str], Dict[str, Path]] = {}
    for file in root.rglob('*.txt'):
        try:
            name, modality = kaist_txt_key(file.relative_to(root))
        except ValueError as err:
            raise parse_error(file, 'file name', 'frame', str(err)) from None
        files = index.setdefault(modality, {})
        if name in files:
            raise parse_error(file, 'file name', 'frame',
                              f'{name!r} ({modality or "shared"}) also in {files[name]}')
        files[name] = file
    if not index:
        raise parse_error(root, 'folder', '*.txt', 'no annotation file found')
    if None in index and len(index) > 1:
        raise parse_error(root, 'folder', 'layout',
                          'mixes per-modality (visible / lwir) and shared annotation files')
    return index


def parse_kaist_txt_dir(path: PathLike,
                        image_set: Optional[PathLike] = None,
                        modality: Optional[str] = None) -> List[ImageRecord]:
    """Parse a KAIST bbGt annotation set in the layout it is distributed in.

    Layouts (found from the file names under ``path``):

    - shared boxes, one file per frame: ``setXX/VYYY/IZZZZZ.txt`` (original annotations) or
      ``setXX_VYYY_IZZZZZ.txt`` (improved test of Liu et al., sanitized train of Li et al.);
    - per-modality boxes (paired annotations of Zhang et al.,
      ``annotations_paired/setXX/VYYY/{visible,lwir}/IZZZZZ.txt``, or any path with a
      ``visible`` / ``lwir`` folder or name token): every frame needs both files.

    Args:
        path (str | Path): Root folder of the annotation set.
        image_set (str | Path, optional): List file (``test-all-20.txt``) fixing which frames
            and in which order; default: all frames sorted by name.
        modality (str, optional): ``'visible'`` or ``'lwir'``: whose boxes become
            ``instances`` in a per-modality layout (the other modality's are
            ``paired_instances``). Required for a per-modality layout; ignored otherwise.

    Returns:
        list[dict]: Image records; ``img_id`` is the 0-based position (so that the
        1-based ``img_index`` of KAIST text results is ``img_id + 1``, as in MLPD's json).
        Per-modality layouts add ``paired_instances`` and ``box_modality``.
    """
    if modality is not None and modality not in KAIST_MODALITIES:
        raise ValueError(f"modality must be 'visible' or 'lwir', got {modality!r}")
    root = Path(path)
    index = _index_txt_dir(root)
    paired = None not in index
    if paired:
        if modality is None:
            raise parse_error(root, 'folder', 'layout',
                              'per-modality (visible / lwir) annotations: choose the boxes '
                              "with modality='visible' or 'lwir'")
        other = KAIST_MODALITIES[1 - KAIST_MODALITIES.index(modality)]
        main, second = index.get(modality, {}), index.get(other, {})
    else:
        main, second = index[None], {}
    if image_set is not None:
        names = [ln.strip() for ln in read_lines(image_set) if ln.strip()]
    else:
        names = sorted(set(main) | set(second))
    checks = [(main, modality), (second, other)] if paired else [(main, None)]
    for files, mod in checks:
        missing = [n for n in names if n not in files]
        if missing:
            where = image_set if image_set is not None else root
            raise parse_error(where, missing[0], 'frame',
                              f'no {mod + " " if mod else ""}annotation file in {root} '
                              f'({len(missing)} frame(s) in all)')
    records = []
    for i, name in enumerate(names):
        rec = dict(img_id=i, file_name=name, width=640, height=512,
                   condition=kaist_condition(name), instances=parse_bbgt_file(main[name]))
        if paired:
            rec.update(paired_instances=parse_bbgt_file(second[name]), box_modality=modality)
        records.append(rec)
    return records


def parse_kaist(path: PathLike, image_set: Optional[PathLike] = None,
                modality: Optional[str] = None) -> List[ImageRecord]:
    """Parse KAIST annotations in any distributed layout (json file or bbGt text folder).

    Args:
        path (str | Path): ``KAIST_annotation.json`` or the root of a bbGt annotation set.
        image_set (str | Path, optional): Frame list (order and subset of the frames).
        modality (str, optional): Boxes of a per-modality (paired) set, see
            :func:`parse_kaist_txt_dir`.

    Returns:
        list[dict]: Image records.
    """
    if Path(path).is_dir():
        return parse_kaist_txt_dir(path, image_set, modality)
    records = parse_kaist_json(path)
    if image_set is None:
        return records
    by_name = {r['file_name']: r for r in records}
    names = [ln.strip() for ln in read_lines(image_set) if ln.strip()]
    missing = [n for n in names if n not in by_name]
    if missing:
        raise parse_error(image_set, missing[0], 'frame',
                          f'no annotation in {path} ({len(missing)} frame(s) in all)')
    return [by_name[n] for n in names]


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
    rows, line_nos = [], []
    for ln, line in enumerate(read_lines(path), start=1):
        parts = line.replace(',', ' ').split()
        if not parts:
            continue
        line_nos.append(ln)
        if len(parts) != 6:
            raise parse_error(path, f'line {ln}', 'columns', f'expected 6 values, got {len(parts)}')
        rows.append([to_float(path, f'line {ln}', f'column {k + 1}', v)
                     for k, v in enumerate(parts)])
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    idx = arr[:, 0].astype(np.int64)
    if len(idx) and (idx.min() < 1 or (img_ids is not None and idx.max() > len(img_ids))):
        top = len(img_ids) if img_ids is not None else idx.max()
        bad = int(np.flatnonzero((idx < 1) | (idx > top))[0])
        raise parse_error(path, f'line {line_nos[bad]}', 'img_index', f'out of range: {idx[bad]}')
    keys = idx - 1 if img_ids is None else np.asarray(img_ids, dtype=object)[idx - 1]
    return group_detections(keys, arr[:, 1:5], arr[:, 5])
