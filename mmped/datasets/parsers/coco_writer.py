# Copyright (c) mmped contributors. All rights reserved.
"""Write parser image records as a COCO-style pedestrian json (used by the converters)."""
import json
import math
from pathlib import Path
from typing import Iterable, List, Sequence

from mmped.utils.fileio import write_bytes_atomic

from .common import ImageRecord, PathLike


def records_to_coco(records: Sequence[ImageRecord], im_name: bool = False) -> dict:
    """COCO-style dict in the layout of CityPersons' ``val_gt.json`` (readable back by
    ``parse_citypersons_json`` / ``parse_caltech_json``).

    Args:
        records (Sequence[dict]): Image records; integer ids are assigned in order (the
            original id is kept as ``orig_id`` when it is not an int).
        im_name (bool): Also write ``im_name`` (CityPersons convention, basename only).

    Returns:
        dict: ``images``, ``annotations`` (``bbox`` xywh, ``ignore``, ``iscrowd``, ``height``,
        ``vis_ratio`` (1.0 when unoccluded), ``vis_bbox``, ``occlusion``, ``category``) and
        ``categories``.
    """
    images, anns = [], []
    for k, rec in enumerate(records, start=1):
        img = dict(id=k, file_name=rec['file_name'], width=rec.get('width', 0),
                   height=rec.get('height', 0))
        if not isinstance(rec['img_id'], int) or rec['img_id'] != k:
            img['orig_id'] = rec['img_id']
        if im_name:
            img['im_name'] = Path(rec['file_name']).name
        if rec.get('condition'):
            img['condition'] = rec['condition']
        images.append(img)
        for inst in rec['instances']:
            x1, y1, x2, y2 = inst['bbox']
            vis = inst.get('vis_ratio', math.inf)
            vb = inst.get('vis_bbox')
            ann = dict(id=len(anns) + 1, image_id=k, category_id=1,
                       bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                       ignore=int(inst['ignore_flag']), iscrowd=int(inst['ignore_flag']),
                       height=inst.get('height', y2 - y1),
                       vis_ratio=1.0 if math.isinf(vis) else vis,
                       occlusion=inst.get('occlusion', -1), category=inst.get('category', ''))
            if vb is not None:
                ann['vis_bbox'] = [vb[0], vb[1], vb[2] - vb[0], vb[3] - vb[1]]
            anns.append(ann)
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='pedestrian')])


def check_not_input(out: PathLike, inputs: Iterable[PathLike]) -> None:
    """Refuse to write over an input file.

    Args:
        out (str | Path): Output path.
        inputs (Iterable[str | Path]): Input files / folders.
    """
    out_r = Path(out).resolve()
    for inp in inputs:
        inp_r = Path(inp).resolve()
        if out_r == inp_r or (inp_r.is_dir() and inp_r in out_r.parents and out_r.exists()):
            raise ValueError(f'refusing to overwrite input {inp}')


def write_json_atomic(path: PathLike, obj, inputs: Sequence[PathLike] = (),
                      overwrite: bool = True) -> Path:
    """Write json to a temporary file in the same folder, then rename it into place.

    NaN / infinite numbers are refused (they are not JSON). The file gets the permissions a
    plain ``open()`` would give it.

    Args:
        path (str | Path): Destination.
        obj: JSON-serialisable object.
        inputs (Sequence[str | Path]): Inputs that must not be overwritten.
        overwrite (bool): Replace an existing ``path``. Defaults to True.

    Returns:
        Path: The written path.
    """
    path = Path(path)
    check_not_input(path, inputs)
    if not overwrite and (path.exists() or path.is_symlink()):
        raise ValueError(f'{path} exists; refusing to overwrite it')
    return write_bytes_atomic(path, json_bytes(obj, path))


def json_bytes(obj, path: PathLike) -> bytes:
    """``obj`` as JSON bytes; NaN / infinite numbers are refused (they are not JSON).

    Args:
        obj: JSON-serialisable object.
        path (str | Path): The file it is meant for (for the message).

    Returns:
        bytes: UTF-8 JSON.
    """
    try:
        return json.dumps(obj, allow_nan=False).encode()
    except ValueError as e:
        raise ValueError(f'{path}: {e} (NaN or infinite value in the output)') from None


__all__: List[str] = ['records_to_coco', 'write_json_atomic', 'write_bytes_atomic',
                      'check_not_input', 'json_bytes']
