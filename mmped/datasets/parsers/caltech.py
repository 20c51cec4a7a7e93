# Copyright (c) mmped contributors. All rights reserved.
"""Caltech Pedestrian annotation parsers.

- ``.vbb`` files (MATLAB struct ``A`` of the Caltech toolbox: ``nFrame``, ``objLists`` (one
  struct array per frame with ``id`` (1-based), ``pos`` [x y w h], ``posv`` (visible box, all
  zeros when not occluded), ``occl``), ``objLbl`` (label of each id: ``person``, ``person?``,
  ``people``, ``ignore``...)).
- bbGt text files, one per frame (``% bbGt version=3``: ``lbl x y w h occ xv yv wv hv ign
  ang``), which is how the "new" annotations of Zhang et al. (CVPR 2016) are distributed.
- COCO-style jsons of the community (``images`` with ``file_name``, ``annotations`` with
  ``bbox``, ``iscrowd`` / ``ignore``, optional ``height`` and ``vis_ratio``).

Labels follow ``bbGt``'s ``lbls`` / ``ilbls``: ``dbEval`` (original annotations) loads
``lbls={'person'}``, ``ilbls={'people'}``, so ``people`` boxes are ignore regions and every
other label (``person?``, ``person-fa``, ...) is dropped, neither counted nor ignored
(:data:`CALTECH_LABELS`). The new-annotation ``dbEval`` copies of Pedestron / CSP load
``lbls={'person','person?','people','ignore'}``, ``ilbls={'ignore'}`` with the current
toolbox's visibility rule (:data:`CALTECH_NEW_LABELS`; protocol ``caltech_new``).
``vis_ratio`` by default follows the Caltech code: ``inf`` without occlusion box, otherwise
area(visible) / area(full). Frames are named ``setXX_VYYY_IZZZZZ`` (0-based frame index, as
the ``I%05d`` names of the toolbox).

``dbEval``'s ground-truth caches (``gt-<setup>.mat``) hold one cell per test frame and no
names; their order is the standard test list (sets 06-10, every 30th frame from frame 29 of
each video, :func:`caltech_test_frames`), so the frames are named from it when the cache has
that many cells, or from a given frame list.
"""
import re
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np

from .common import (
    ImageRecord,
    PathLike,
    bbgt_vis_ratio,
    coco_records,
    gc_paused,
    iter_coco_annotations,
    load_coco_json,
    load_mat,
    make_instance,
    parse_error,
    read_lines,
    to_float,
)
from .kaist import parse_bbgt_file

#: (positive labels, ignore labels) of the original ``dbEval`` (bbGt ``lbls`` / ``ilbls``)
CALTECH_LABELS = (('person', ), ('people', ))
#: the same for the new-annotation ``dbEval`` copies (Zhang et al. 2016; Pedestron, CSP)
CALTECH_NEW_LABELS = (('person', 'person?', 'people', 'ignore'), ('ignore', ))

#: frames of every test video (sets 06-10) in the standard every-30th-frame test list
_TEST_FRAMES_PER_VIDEO = {
    'set06': (61, 61, 59, 59, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61),
    'set07': (61, 61, 61, 61, 65, 72, 61, 61, 61, 61, 61, 60),
    'set08': (59, 59, 61, 61, 61, 61, 61, 61, 61, 56, 56),
    'set09': (62, 62, 61, 61, 59, 66, 61, 61, 61, 61, 61, 62),
    'set10': (61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 61, 57),
}


def caltech_test_frames() -> List[str]:
    """The standard Caltech test list (4024 frames) in ``dbEval`` order.

    Returns:
        list[str]: ``setXX_VYYY_IZZZZZ`` names: per video frames 29, 59, 89, ...
    """
    return [caltech_frame_name(set_name, f'V{v:03d}', 29 + 30 * k)
            for set_name, counts in _TEST_FRAMES_PER_VIDEO.items()
            for v, n in enumerate(counts) for k in range(n)]


def read_frame_list(path: PathLike) -> List[str]:
    """Frame names in order from a text list (one name a line) or a COCO json's images.

    Args:
        path (str | Path): ``.txt`` list or ``.json`` (``images[*].file_name`` / ``im_name``).

    Returns:
        list[str]: Canonical ``setXX_VYYY_IZZZZZ`` names.
    """
    from .common import load_json

    if Path(path).suffix == '.json':
        data = load_json(path)
        images = data.get('images') if isinstance(data, dict) else None
        if not isinstance(images, list):
            raise parse_error(path, 'top level', 'images', 'expected a list of images')
        names = [img.get('file_name', img.get('im_name')) for img in images]
        if any(n is None for n in names):
            raise parse_error(path, f'image {names.index(None)}', 'file_name', 'missing')
    else:
        names = [ln.strip() for ln in read_lines(path) if ln.strip()]
    return [_canonical(str(n)) for n in names]


_NAME_RE = re.compile(r'(set\d\d)[/_](V\d\d\d)[/_](?:I)?(\d+)')


def caltech_frame_name(set_name: str, video: str, frame: int) -> str:
    """``('set06', 'V000', 29)`` -> ``'set06_V000_I00029'``."""
    return f'{set_name}_{video}_I{int(frame):05d}'


def _canonical(name: str) -> str:
    m = _NAME_RE.search(name)
    return caltech_frame_name(m.group(1), m.group(2), int(m.group(3))) if m else name


def _field(struct, name):
    """Field of a scipy ``mat_struct`` / record array element."""
    if hasattr(struct, '_fieldnames'):
        return getattr(struct, name)
    return struct[name]


def parse_vbb(path: PathLike,
              frames: Optional[Sequence[int]] = None,
              skip: int = 30,
              set_name: Optional[str] = None,
              video: Optional[str] = None,
              labels: Sequence[str] = CALTECH_LABELS[0],
              ignore_labels: Sequence[str] = CALTECH_LABELS[1]) -> List[ImageRecord]:
    """Parse a Caltech ``.vbb`` annotation file.

    Args:
        path (str | Path): ``annotations/setXX/VYYY.vbb``.
        frames (Sequence[int], optional): 0-based frames to keep. Default: the toolbox
            sampling ``skip - 1, 2 * skip - 1, ...`` (``skip=30``: the standard test frames).
        skip (int): Sampling step when ``frames`` is None (30 test, 3 for the 10x train set).
        set_name (str, optional): ``setXX``; default: the parent folder name.
        video (str, optional): ``VYYY``; default: the file stem.
        labels (Sequence[str]): bbGt ``lbls`` (kept, not ignored). Defaults to ``person``.
        ignore_labels (Sequence[str]): bbGt ``ilbls`` (kept as ignore regions). Defaults to
            ``people``. Objects with any other label are dropped.

    Returns:
        list[dict]: Image records named ``setXX_VYYY_IZZZZZ`` with ``img_id`` = that name.
    """
    path = Path(path)
    set_name = set_name or path.parent.name
    video = video or path.stem
    mat = load_mat(path, squeeze_me=True, struct_as_record=False)
    try:
        A = mat['A']
        n_frame = int(_field(A, 'nFrame'))
        raw_lists = _field(A, 'objLists')
        obj_lists = np.atleast_1d(raw_lists)
        n_lists = len(obj_lists)
        if n_frame == 1:
            # squeeze_me turns a one-frame (1, 1) cell into that frame's objects (none, one
            # struct or an array of them): count the cells of the file as stored instead
            unsqueezed = load_mat(path, squeeze_me=False, struct_as_record=False)['A'][0, 0]
            n_lists = _field(unsqueezed, 'objLists').size
            obj_lists = [raw_lists]
        obj_labels = [str(x) for x in np.atleast_1d(_field(A, 'objLbl'))]
    except (KeyError, AttributeError, ValueError, TypeError, IndexError) as e:
        raise parse_error(path, 'A', 'nFrame/objLists/objLbl', f'not a vbb file ({e})') from None
    if n_lists != n_frame:
        raise parse_error(path, 'A', 'objLists', f'{n_lists} lists for {n_frame} frames')
    if frames is None:
        frames = range(skip - 1, n_frame, skip)
    records = []
    for f in frames:
        if not 0 <= f < n_frame:
            raise parse_error(path, f'frame {f}', 'frame', f'outside 0..{n_frame - 1}')
        instances = []
        objs = obj_lists[f]
        objs = [] if objs is None or (isinstance(objs, np.ndarray) and objs.size == 0) \
            else np.atleast_1d(objs)
        for k, o in enumerate(objs):
            try:
                oid = int(_field(o, 'id'))
                pos = np.asarray(_field(o, 'pos'), dtype=np.float64).reshape(4).tolist()
                posv = np.asarray(_field(o, 'posv'), dtype=np.float64).reshape(-1).tolist()
                occl = int(_field(o, 'occl'))
            except (AttributeError, ValueError, TypeError) as e:
                raise parse_error(path, f'frame {f} object {k}', 'id/pos/posv/occl',
                                  str(e)) from None
            if not 1 <= oid <= len(obj_labels):
                raise parse_error(path, f'frame {f} object {k}', 'id', f'unknown id {oid}')
            posv = posv if len(posv) == 4 else [0.0] * 4
            lbl = obj_labels[oid - 1]
            if lbl not in labels and lbl not in ignore_labels:
                continue  # bbGt keeps only lbls and ilbls
            instances.append(
                make_instance(pos, lbl in ignore_labels, lbl,
                              vis_ratio=bbgt_vis_ratio(occl, pos, posv),
                              vis_xywh=posv if any(posv) else None, occlusion=occl,
                              track_id=oid))
        name = caltech_frame_name(set_name, video, f)
        records.append(dict(img_id=name, file_name=name, width=640, height=480,
                            instances=instances))
    return records


def parse_bbgt_dir(path: PathLike, image_set: Optional[PathLike] = None,
                   labels: Sequence[str] = CALTECH_LABELS[0],
                   ignore_labels: Sequence[str] = CALTECH_LABELS[1],
                   visibility: str = 'caltech') -> List[ImageRecord]:
    """Parse a folder of per-frame bbGt files (e.g. the Caltech "new" annotations).

    Args:
        path (str | Path): Folder with ``setXX_VYYY_IZZZZZ(.jpg).txt`` files or a
            ``setXX/VYYY/IZZZZZ.txt`` tree.
        image_set (str | Path, optional): Frame list file fixing which frames and their order.
        labels (Sequence[str]): bbGt ``lbls``. Defaults to the original ``dbEval``'s.
        ignore_labels (Sequence[str]): bbGt ``ilbls``; other labels are dropped.
        visibility (str): ``'caltech'`` or ``'toolbox'`` (see :func:`bbgt_vis_ratio`).

    Returns:
        list[dict]: Image records; ``img_id`` and ``file_name`` are ``setXX_VYYY_IZZZZZ``.
    """
    root = Path(path)
    files = {_canonical(p.relative_to(root).as_posix()): p for p in root.rglob('*.txt')}
    if not files:
        raise parse_error(path, 'folder', '*.txt', 'no annotation file found')
    if image_set is not None:
        names = [_canonical(ln.strip()) for ln in read_lines(image_set) if ln.strip()]
        missing = [n for n in names if n not in files]
        if missing:
            raise parse_error(image_set, missing[0], 'frame', f'no annotation file in {root}')
    else:
        names = sorted(files)
    return [dict(img_id=n, file_name=n, width=640, height=480,
                 instances=parse_bbgt_file(files[n], labels, ignore_labels, visibility))
            for n in names]


@gc_paused()
def parse_caltech_json(path: PathLike) -> List[ImageRecord]:
    """Parse a COCO-style Caltech json (e.g. the widely used ``test.json`` / ``val.json``).

    Args:
        path (str | Path): The json file.

    Returns:
        list[dict]: Image records (``img_id`` = json id, ``file_name`` as in the json).
        ``iscrowd`` or ``ignore`` marks ignore boxes; ``vis_ratio`` is read when present
        (else ``inf``). Heights are the box heights, as in the toolbox (some community
        jsons store the image height in an annotation ``height`` field).
    """
    data = load_coco_json(path)
    records, by_id = coco_records(path, data)
    for i, ann, rec, box in iter_coco_annotations(path, data, by_id):
        ignore = bool(ann.get('ignore', 0)) or bool(ann.get('iscrowd', 0))
        vis = ann.get('vis_ratio')
        vis = np.inf if vis is None else to_float(path, f'annotation {i}', 'vis_ratio', vis)
        if vis >= 1.0:  # fully visible: the toolbox's 'no occlusion box' (inf)
            vis = np.inf
        rec['instances'].append(
            make_instance(box, ignore, 'ignore' if ignore else 'person', vis_ratio=vis,
                          ann_id=ann.get('id')))
    return records


def parse_dbeval_gt_cache(path: PathLike,
                          names: Optional[Sequence[str]] = None) -> List[ImageRecord]:
    """Parse a ``dbEval`` ground-truth cache (``gt-<setup>.mat``: one ``[x y w h ignore]``
    array per test frame, already filtered for the setup and standardised to 0.41 aspect).

    Evaluate such GT with ``get_mr_protocol('caltech', setups=[<setup>],
    gt_prefiltered=True)``: the cache's flags and boxes are used as they are, which is exactly
    what ``dbEval`` does.

    Args:
        path (str | Path): The ``.mat`` file (variable ``gt``).
        names (Sequence[str], optional): Frame names in cache order (e.g. the ``file_name`` of
            the matching COCO json, see :func:`read_frame_list`). Default: the standard test
            list (:func:`caltech_test_frames`) when the cache has its 4024 cells, else
            ``img_id`` = 1-based frame index (such a cache pairs with no result folder).

    Returns:
        list[dict]: Image records (``vis_ratio`` inf, ``height`` = box height).
    """
    mat = load_mat(path)
    try:
        cells = np.atleast_1d(mat['gt'].reshape(-1))
    except (KeyError, ValueError) as e:
        raise parse_error(path, 'gt', 'gt', f'not a dbEval gt cache ({e})') from None
    if names is None and len(cells) == len(caltech_test_frames()):
        names = caltech_test_frames()
    if names is not None and len(names) != len(cells):
        raise parse_error(path, 'gt', 'names', f'{len(names)} names for {len(cells)} frames')
    records = []
    for i, cell in enumerate(cells):
        arr = np.asarray(cell, dtype=np.float64)
        if arr.size and arr.reshape(-1).size % 5:
            raise parse_error(path, f'frame {i + 1}', 'gt', f'expected N x 5, got {arr.shape}')
        arr = arr.reshape(-1, 5)
        name = _canonical(names[i]) if names is not None else str(i + 1)
        records.append(dict(
            img_id=name if names is not None else i + 1, file_name=name, width=640, height=480,
            instances=[make_instance(r[:4], bool(r[4]), 'ignore' if r[4] else 'person')
                       for r in arr.tolist()]))
    return records


def parse_caltech(path: PathLike, image_set: Optional[PathLike] = None,
                  skip: int = 30, annotations: str = 'original') -> List[ImageRecord]:
    """Parse Caltech annotations in any supported layout.

    Args:
        path (str | Path): COCO-style ``.json``, one ``.vbb`` file, a folder of ``.vbb`` files
            (``annotations/setXX/VYYY.vbb``), a folder of bbGt text files or a ``dbEval``
            ``gt-<setup>.mat`` cache (see :func:`parse_dbeval_gt_cache`).
        image_set (str | Path, optional): Frame list for bbGt folders; for a ``gt-*.mat``
            cache, the names of its frames in order (text list or COCO json).
        skip (int): Frame sampling of ``.vbb`` input (30 = standard test).
        annotations (str): ``'original'`` (``dbEval``'s labels, :data:`CALTECH_LABELS`) or
            ``'new'`` (the new-annotation ``dbEval``: :data:`CALTECH_NEW_LABELS`, toolbox
            visibility) for ``.vbb`` / bbGt input.

    Returns:
        list[dict]: Image records.
    """
    if annotations not in ('original', 'new'):
        raise ValueError(f'annotations={annotations!r}, expected original or new')
    lbls, ilbls = CALTECH_NEW_LABELS if annotations == 'new' else CALTECH_LABELS
    path = Path(path)
    if path.suffix == '.json':
        return parse_caltech_json(path)
    if path.suffix == '.mat':
        return parse_dbeval_gt_cache(
            path, read_frame_list(image_set) if image_set is not None else None)
    if path.suffix == '.vbb':
        return parse_vbb(path, skip=skip, labels=lbls, ignore_labels=ilbls)
    if path.is_dir():
        vbbs = sorted(path.rglob('*.vbb'))
        if vbbs:
            return [r for v in vbbs
                    for r in parse_vbb(v, skip=skip, labels=lbls, ignore_labels=ilbls)]
        return parse_bbgt_dir(path, image_set, lbls, ilbls,
                              'toolbox' if annotations == 'new' else 'caltech')
    raise parse_error(path, 'file', 'suffix', 'expected .json, .vbb or an annotation folder')


def load_caltech_results(path: PathLike, gt_images: Sequence[ImageRecord]) -> dict:
    """Read Caltech toolbox detections and key them by the GT's image ids.

    Accepted layouts (``x, y, w, h`` boxes):

    - a folder ``setXX/VYYY.txt`` with rows ``frame(1-based), x, y, w, h, score`` (the
      consolidated ``dbEval`` format);
    - a folder ``setXX/VYYY/IZZZZZ.txt`` with rows ``x, y, w, h, score``.

    Args:
        path (str | Path): Result folder.
        gt_images (Sequence[dict]): Ground-truth records; frames are matched through the
            ``setXX_VYYY_IZZZZZ`` name found in their ``file_name``.

    Returns:
        dict: ``img_id -> (bboxes (D, 4) [x, y, w, h], scores (D,))``.
    """
    from .results import group_detections

    root = Path(path)
    name_to_id = {_canonical(r['file_name']): r['img_id'] for r in gt_images}
    keys, rows, unknown = [], [], []

    def add(name: str, arr: np.ndarray) -> None:
        if name in name_to_id:
            keys.extend([name_to_id[name]] * len(arr))
            rows.append(arr)
        else:
            unknown.append(name)

    for file in sorted(root.rglob('*.txt')):
        rel = file.relative_to(root).with_suffix('').as_posix()
        lines = [ln.replace(',', ' ').split() for ln in read_lines(file)]
        m = re.search(r'(set\d\d)/(V\d\d\d)(?:/I(\d+))?$', rel)
        if m is None:
            raise parse_error(file, 'path', 'name', 'expected setXX/VYYY.txt or setXX/VYYY/I*.txt')
        ncols = 5 if m.group(3) is not None else 6
        for k, ln in enumerate(lines, start=1):
            if ln and len(ln) != ncols:  # never reshape rows of another width into garbage
                raise parse_error(file, f'line {k}', 'columns',
                                  f'expected {ncols} values, got {len(ln)}')
        rows_txt = [ln for ln in lines if ln]
        try:
            arr = np.asarray([[float(v) for v in ln] for ln in rows_txt],
                             dtype=np.float64).reshape(-1, ncols)
        except ValueError:
            raise parse_error(file, 'rows', 'values', 'not numeric') from None
        if m.group(3) is not None:  # per-frame file
            add(caltech_frame_name(m.group(1), m.group(2), int(m.group(3))), arr)
        else:
            bad = np.flatnonzero(arr[:, 0] % 1)  # such rows matched no frame and were lost
            if bad.size:
                raise parse_error(file, f'row {bad[0] + 1}', 'frame',
                                  f'not an integer: {float(arr[bad[0], 0])}')
            for f in np.unique(arr[:, 0]).tolist():
                add(caltech_frame_name(m.group(1), m.group(2), f - 1), arr[arr[:, 0] == f, 1:])
    if unknown and not rows:
        raise parse_error(path, 'folder', 'frames',
                          f'none of the {len(unknown)} result frames (e.g. {unknown[:2]}) is a '
                          f'ground-truth frame (e.g. {list(name_to_id)[:2]}); a dbEval '
                          'gt-*.mat cache needs its frame list (--image-set)')
    if unknown:
        warnings.warn(f'{path}: {len(unknown)} result frames match no ground-truth frame and are '
                      f'ignored, e.g. {unknown[:2]}', stacklevel=2)
    if not rows:
        return {}
    allr = np.concatenate(rows)
    return group_detections(keys, allr[:, :4], allr[:, 4])
