# Copyright (c) mmped contributors. All rights reserved.
"""Shared helpers of the annotation parsers (pure Python + numpy)."""
import contextlib
import gc
import json
import math
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

PathLike = Union[str, Path]

#: Image record produced by every parser: ``img_id``, ``file_name``, ``width``, ``height``,
#: ``instances`` (list of instance dicts) and, for KAIST, ``condition``.
ImageRecord = Dict[str, Any]


def make_instance(xywh: Sequence[float],
                  ignore: bool,
                  category: str,
                  height: Optional[float] = None,
                  vis_ratio: float = math.inf,
                  vis_xywh: Optional[Sequence[float]] = None,
                  occlusion: int = -1,
                  truncation: float = 0.0,
                  xyxy: Optional[Sequence[float]] = None,
                  **extra: Any) -> Dict[str, Any]:
    """Build one instance dict in the mmped detection-benchmark layout.

    Args:
        xywh (Sequence[float]): Full box ``[x, y, w, h]`` in pixels.
        ignore (bool): Whether the box is an ignore region / non-pedestrian class.
        category (str): Original label of the source annotation.
        height (float, optional): Annotated height; defaults to ``h``.
        vis_ratio (float): Visible fraction (``inf`` when the source has no occlusion box).
        vis_xywh (Sequence[float], optional): Visible box ``[x, y, w, h]``.
        occlusion (int): Occlusion level (KAIST 0/1/2, KITTI 0..3), -1 when unknown.
        truncation (float): KITTI truncation, 0 elsewhere.
        xyxy (Sequence[float], optional): The corners as the file writes them (KITTI): used
            as ``bbox`` instead of ``x + w`` / ``y + h``, which can differ in the last bit.
        **extra: Further source-specific fields kept verbatim (e.g. ``track_id``).

    Returns:
        dict: ``bbox`` (xyxy), ``bbox_label`` (0), ``ignore_flag``, ``category``, ``height``,
        ``vis_ratio``, ``vis_bbox`` (xyxy or None), ``occlusion``, ``truncation`` and ``extra``.
    """
    x, y, w, h = (float(v) for v in xywh)
    vis_bbox = None
    if vis_xywh is not None:
        vx, vy, vw, vh = (float(v) for v in vis_xywh)
        vis_bbox = [vx, vy, vx + vw, vy + vh]
    inst = dict(
        bbox=[x, y, x + w, y + h] if xyxy is None else [float(v) for v in xyxy],
        bbox_label=0,
        ignore_flag=int(bool(ignore)),
        category=category,
        height=float(h if height is None else height),
        vis_ratio=float(vis_ratio),
        vis_bbox=vis_bbox,
        occlusion=int(occlusion),
        truncation=float(truncation))
    inst.update(extra)
    return inst


def bbgt_vis_ratio(occ: float, xywh: Sequence[float], vis_xywh: Sequence[float],
                   rule: str = 'caltech') -> float:
    """Visible fraction of a bbGt / vbb object.

    ``rule='caltech'`` (the ``bbGt`` shipped with the Caltech evaluation code 3.2.1, whose
    ``Occ=none`` / scale setups select ``v == inf``): ``inf`` when the object has no occlusion
    box (``occ == 0`` or the visible box is all zeros), otherwise area(visible) / area(full).
    ``rule='toolbox'`` (the current pdollar toolbox ``bbGt``, used by the new-annotation
    ``dbEval`` copies of Pedestron / CSP): 1 without occlusion box, 0 when the visible box
    equals the full box, otherwise the area ratio.

    Args:
        occ (float): Occlusion flag of the record.
        xywh (Sequence[float]): Full box.
        vis_xywh (Sequence[float]): Visible box.
        rule (str): ``'caltech'`` or ``'toolbox'``.

    Returns:
        float: The visible fraction.
    """
    if rule not in ('caltech', 'toolbox'):
        raise ValueError(f'unknown visibility rule {rule!r}')
    if not occ or all(v == 0 for v in vis_xywh):
        return math.inf if rule == 'caltech' else 1.0
    if rule == 'toolbox' and [float(v) for v in vis_xywh] == [float(v) for v in xywh]:
        return 0.0
    area = float(xywh[2]) * float(xywh[3])
    if area <= 0:
        return 0.0
    return float(vis_xywh[2]) * float(vis_xywh[3]) / area


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector (restored on exit).

    Loading a large json creates tens of thousands of container objects; each allocation burst
    triggers generation scans whose cost grows with every live object of the process. The
    loaded data contains no reference cycles, so pausing the collector is safe and makes
    loading 2-3x cheaper in a busy process (e.g. a training run).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_json(path: PathLike):
    """``json.load`` with the garbage collector paused (see :func:`gc_paused`).

    Args:
        path (str | Path): The json file.

    Returns:
        Any: The decoded document.
    """
    with gc_paused(), open(path, 'rb') as f:
        raw = f.read()
    if not raw.strip():
        raise parse_error(path, 'file', 'content', 'empty file, expected JSON')
    try:
        with gc_paused():
            return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise parse_error(path, 'file', 'content', f'not valid JSON (truncated?): {e}') from None


def load_mat(path: PathLike, **kwargs: Any) -> dict:
    """``scipy.io.loadmat`` naming the file when it is not a readable MATLAB file.

    Args:
        path (str | Path): The ``.mat`` file.
        **kwargs: Passed to ``loadmat``.

    Returns:
        dict: The variables.
    """
    from scipy.io import loadmat

    try:
        return loadmat(str(path), **kwargs)
    except FileNotFoundError:
        raise
    except Exception as e:  # scipy raises ValueError, MatReadError, TypeError, OSError, ...
        raise parse_error(path, 'file', 'content',
                          f'not a readable MATLAB file ({type(e).__name__}: {e})') from None


def add_image(by_id: Dict[Any, ImageRecord], rec: ImageRecord, path: PathLike,
              index: int) -> None:
    """Register ``rec`` under its ``img_id``; a second image with the same id is an error.

    Args:
        by_id (dict): ``img_id -> record`` so far.
        rec (dict): The record.
        path (str | Path): Annotation file (for the message).
        index (int): Position of the image in the file.
    """
    if rec['img_id'] in by_id:
        raise parse_error(path, f'image {index}', 'id', f'duplicate image id {rec["img_id"]!r}')
    by_id[rec['img_id']] = rec


def load_coco_json(path: PathLike) -> dict:
    """Load a COCO-style annotation json and check its ``images`` / ``annotations`` lists.

    Args:
        path (str | Path): The json file.

    Returns:
        dict: The decoded document.
    """
    data = load_json(path)
    for key in ('images', 'annotations'):
        if key not in data:
            raise parse_error(path, 'top level', key, 'missing')
    return data


def parse_error(path: PathLike, record: Any, field: str, detail: str) -> ValueError:
    """Build the error raised on malformed input (names file, record and field).

    Args:
        path (str | Path): The annotation file.
        record (Any): Record locator (line number, image index or name).
        field (str): The offending field.
        detail (str): What is wrong.

    Returns:
        ValueError: The error to raise.
    """
    return ValueError(f'{path}: record {record}: field {field!r}: {detail}')


def read_lines(path: PathLike) -> List[str]:
    """Read a text annotation file (utf-8, falling back to latin-1), keeping line order.

    Args:
        path (str | Path): File to read.

    Returns:
        list[str]: The lines without line terminators.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        text = raw.decode('latin-1')
    return text.splitlines()


def to_float(path: PathLike, record: Any, field: str, value: Any) -> float:
    """Convert ``value`` to float or raise :func:`parse_error`.

    Args:
        path (str | Path): Annotation file (for the message).
        record (Any): Record locator.
        field (str): Field name.
        value (Any): Raw value.

    Returns:
        float: The converted value.
    """
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise parse_error(path, record, field, f'not a number: {value!r}') from None
    if math.isnan(out):
        raise parse_error(path, record, field, 'NaN')
    return out


def check_box(path: PathLike, record: Any, field: str, box: Any) -> List[float]:
    """Validate an ``[x, y, w, h]`` box (4 finite numbers, w and h >= 0).

    Args:
        path (str | Path): Annotation file (for the message).
        record (Any): Record locator.
        field (str): Field name.
        box (Any): Raw box.

    Returns:
        list[float]: The box as floats.
    """
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        raise parse_error(path, record, field, f'expected [x, y, w, h], got {box!r}')
    vals = [to_float(path, record, field, v) for v in box]
    if vals[2] < 0 or vals[3] < 0:
        raise parse_error(path, record, field, f'negative width/height in {box!r}')
    return vals


def coco_records(path: PathLike, data: dict, name_key: str = 'file_name',
                 default_size: Sequence[int] = (640, 480)
                 ) -> Tuple[List[ImageRecord], Dict[Any, ImageRecord]]:
    """Image records (no instances yet) of a decoded COCO-style document.

    Args:
        path (str | Path): The json file (for error messages).
        data (dict): The document (:func:`load_coco_json`).
        name_key (str): Image field holding the frame name (``file_name``; MLPD KAIST:
            ``im_name``, falling back to ``file_name``).
        default_size (Sequence[int]): ``(width, height)`` when an image has none.

    Returns:
        tuple[list[dict], dict]: Records in file order (``img_id``, ``file_name``, ``width``,
        ``height``, empty ``instances``) and the same records by image id.
    """
    records, by_id = [], {}
    for i, img in enumerate(data['images']):
        name = img.get(name_key, img.get('file_name'))
        if name is None or 'id' not in img:
            raise parse_error(path, f'image {i}', f'id/{name_key}', 'missing')
        rec = dict(img_id=img['id'], file_name=name,
                   width=int(img.get('width', default_size[0])),
                   height=int(img.get('height', default_size[1])), instances=[])
        records.append(rec)
        add_image(by_id, rec, path, i)
    return records, by_id


def iter_coco_annotations(path: PathLike, data: dict, by_id: Dict[Any, ImageRecord]
                          ) -> Iterator[Tuple[int, dict, ImageRecord, List[float]]]:
    """Annotations of a COCO-style document with their image record and checked box.

    Args:
        path (str | Path): The json file (for error messages).
        data (dict): The document.
        by_id (dict): Image records by id (:func:`coco_records`).

    Yields:
        tuple: ``(index, annotation, record, [x, y, w, h])``.
    """
    for i, ann in enumerate(data['annotations']):
        rec = by_id.get(ann.get('image_id'))
        if rec is None:
            raise parse_error(path, f'annotation {i}', 'image_id',
                              f'unknown image {ann.get("image_id")!r}')
        yield i, ann, rec, check_box(path, f'annotation {i}', 'bbox', ann.get('bbox'))
