# Copyright (c) mmped contributors. All rights reserved.
"""CityPersons annotation parsers.

Three on-disk layouts carry the same information:

- the official COCO-style evaluation json (``val_gt.json``: ``images`` with ``im_name`` or
  ``file_name``, ``annotations`` with ``bbox``, ``vis_bbox``, ``height``, ``vis_ratio``,
  ``ignore``);
- the raw MATLAB files ``anno_{train,val}.mat`` (one cell per image: ``cityname``, ``im_name``,
  ``bbs`` rows ``[class, x1, y1, w, h, instance_id, x1_vis, y1_vis, w_vis, h_vis]``; class 0
  ignore region, 1 pedestrian, 2 rider, 3 sitting person, 4 other person, 5 person group);
- per-image ``gtBboxCityPersons/<split>/<city>/<name>_gtBboxCityPersons.json`` files
  (``imgHeight``, ``imgWidth``, ``objects`` with ``label``, ``bbox``, ``bboxVis``,
  ``instanceId``).

Only class 1 (pedestrian) is non-ignored; everything else gets ``ignore_flag=1``, as in the
official ``val_gt.json``. ``vis_ratio`` = area(visible box) / area(full box).
"""
import json
from pathlib import Path
from typing import List, Optional

from .common import (
    ImageRecord,
    PathLike,
    add_image,
    check_box,
    gc_paused,
    load_coco_json,
    load_mat,
    make_instance,
    parse_error,
    to_float,
)

CITYPERSONS_CLASSES = {
    0: 'ignore',
    1: 'pedestrian',
    2: 'rider',
    3: 'sitting',
    4: 'other',
    5: 'group',
}
# label names of the per-image gtBboxCityPersons json files -> our category names
_BBOX_LABELS = {
    'ignore': 'ignore',
    'pedestrian': 'pedestrian',
    'rider': 'rider',
    'sitting person': 'sitting',
    'person (other)': 'other',
    'person group': 'group',
}


def _vis_ratio(box, vis) -> float:
    area = box[2] * box[3]
    return vis[2] * vis[3] / area if area > 0 else 0.0


def _city_path(name: str) -> str:
    """``frankfurt_000000_000294_leftImg8bit.png`` -> ``frankfurt/frankfurt_...png``."""
    return f"{name.split('_')[0]}/{name}"


@gc_paused()
def parse_citypersons_json(path: PathLike) -> List[ImageRecord]:
    """Parse the official COCO-style CityPersons json (``val_gt.json``).

    Args:
        path (str | Path): The json file.

    Returns:
        list[dict]: Image records (see ``docs/det_benchmarks.md``) in the file's image order;
        ``img_id`` is the json ``id``; ``file_name`` is ``<city>/<im_name>``.
    """
    data = load_coco_json(path)
    records, by_id = [], {}
    for i, img in enumerate(data['images']):
        name = img.get('im_name', img.get('file_name'))
        if name is None or 'id' not in img:
            raise parse_error(path, f'image {i}', 'im_name/id', 'missing')
        rec = dict(img_id=img['id'], file_name=_city_path(Path(name).name),
                   width=int(img.get('width', 0)), height=int(img.get('height', 0)),
                   instances=[])
        records.append(rec)
        add_image(by_id, rec, path, i)
    anns = data['annotations']
    boxes = _batch_boxes(path, anns, 'bbox')
    vis_boxes = _batch_boxes(path, anns, 'vis_bbox')
    vis_ratio = _batch_values(path, anns, 'vis_ratio', boxes, vis_boxes)
    heights = _batch_values(path, anns, 'height', boxes, vis_boxes)
    for i, ann in enumerate(anns):
        rec = by_id.get(ann.get('image_id'))
        if rec is None:
            raise parse_error(path, f'annotation {i}', 'image_id',
                              f'unknown image {ann.get("image_id")!r}')
        ignore = bool(ann.get('ignore', 0)) or bool(ann.get('iscrowd', 0))
        rec['instances'].append(
            make_instance(boxes[i], ignore, 'ignore' if ignore else 'pedestrian',
                          height=heights[i], vis_ratio=vis_ratio[i], vis_xywh=vis_boxes[i],
                          ann_id=ann.get('id')))
    return records


def _batch_boxes(path: PathLike, anns: List[dict], key: str) -> List[Optional[list]]:
    """Validate all ``key`` boxes at once (per record only on failure); None when absent."""
    import numpy as np

    raw = [a.get(key) for a in anns]
    if key != 'bbox' and any(b is None for b in raw):
        return [None if b is None else check_box(path, f'annotation {i}', key, b)
                for i, b in enumerate(raw)]
    try:
        arr = np.array(raw, dtype=np.float64).reshape(len(anns), 4)
        ok = bool(np.isfinite(arr).all() and (arr[:, 2:] >= 0).all())
    except (TypeError, ValueError):
        ok = False
    if ok:
        return arr.tolist()
    return [check_box(path, f'annotation {i}', key, b) for i, b in enumerate(raw)]


def _batch_values(path: PathLike, anns: List[dict], key: str, boxes: List[list],
                  vis_boxes: List[Optional[list]]) -> List[float]:
    """``height`` / ``vis_ratio`` of every annotation, derived from the boxes when absent."""
    out = []
    for i, (a, box, vis) in enumerate(zip(anns, boxes, vis_boxes)):
        v = a.get(key)
        if v is None:
            v = box[3] if key == 'height' else (_vis_ratio(box, vis) if vis else 1.0)
        elif type(v) not in (int, float):
            v = to_float(path, f'annotation {i}', key, v)
        out.append(float(v))
    return out


def _check_mat_boxes(path: PathLike, image: int, bbs) -> None:
    """Full and visible boxes of one ``anno_*.mat`` cell: finite, width / height >= 0."""
    import numpy as np

    boxes = bbs[:, [1, 2, 3, 4, 6, 7, 8, 9]]
    bad = ~np.isfinite(boxes).all(1) | (boxes[:, [2, 3, 6, 7]] < 0).any(1)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise parse_error(path, f'image {image} row {j}', 'bbs',
                          f'box not finite or of negative size: {bbs[j].tolist()}')


def parse_citypersons_mat(path: PathLike) -> List[ImageRecord]:
    """Parse the raw ``anno_{train,val}.mat`` files.

    Args:
        path (str | Path): The ``.mat`` file (variable ``anno_<split>_aligned``).

    Returns:
        list[dict]: Image records in cell order; ``img_id`` is the 1-based cell index (the
        order of the official ``val_gt.json``).
    """
    import numpy as np

    mat = load_mat(path)
    keys = [k for k in mat if not k.startswith('__')]
    if len(keys) != 1:
        raise parse_error(path, 'top level', 'anno_*_aligned', f'expected one variable: {keys}')
    cells = mat[keys[0]].reshape(-1)
    records = []
    for i, cell in enumerate(cells):
        cell = cell.reshape(-1)[0]
        try:
            city = str(cell['cityname'].reshape(-1)[0])
            name = str(cell['im_name'].reshape(-1)[0])
            bbs = np.asarray(cell['bbs'], dtype=np.float64).reshape(-1, 10)
        except (ValueError, IndexError, KeyError) as e:
            raise parse_error(path, f'image {i}', 'cityname/im_name/bbs', str(e)) from None
        _check_mat_boxes(path, i, bbs)
        instances = []
        for j, row in enumerate(bbs):
            cls = int(row[0])
            if cls not in CITYPERSONS_CLASSES:
                raise parse_error(path, f'image {i} row {j}', 'class', f'unknown class {cls}')
            box, vis = row[1:5].tolist(), row[6:10].tolist()
            instances.append(
                make_instance(box, cls != 1, CITYPERSONS_CLASSES[cls],
                              vis_ratio=_vis_ratio(box, vis), vis_xywh=vis,
                              instance_id=int(row[5])))
        records.append(dict(img_id=i + 1, file_name=f'{city}/{name}', width=2048, height=1024,
                            instances=instances))
    return records


def parse_citypersons_bbox_dir(path: PathLike) -> List[ImageRecord]:
    """Parse a ``gtBboxCityPersons/<split>`` folder of per-image json files.

    Args:
        path (str | Path): Folder containing ``<city>/*_gtBboxCityPersons.json`` (searched
            recursively).

    Returns:
        list[dict]: Image records sorted by file name; ``img_id`` is the 1-based position, and
        ``file_name`` the matching ``<city>/<name>_leftImg8bit.png``.
    """
    files = sorted(Path(path).rglob('*_gtBboxCityPersons.json'), key=lambda p: p.name)
    if not files:
        raise parse_error(path, 'folder', '*_gtBboxCityPersons.json', 'no file found')
    records = []
    for i, file in enumerate(files):
        with open(file) as f:
            data = json.load(f)
        stem = file.name[:-len('_gtBboxCityPersons.json')]
        instances = []
        for j, obj in enumerate(data.get('objects', [])):
            label = obj.get('label')
            if label not in _BBOX_LABELS:
                raise parse_error(file, f'object {j}', 'label', f'unknown label {label!r}')
            box = check_box(file, f'object {j}', 'bbox', obj.get('bbox'))
            vis = check_box(file, f'object {j}', 'bboxVis', obj.get('bboxVis', box))
            cat = _BBOX_LABELS[label]
            instances.append(
                make_instance(box, cat != 'pedestrian', cat, vis_ratio=_vis_ratio(box, vis),
                              vis_xywh=vis, instance_id=int(obj.get('instanceId', 0))))
        records.append(dict(img_id=i + 1, file_name=_city_path(f'{stem}_leftImg8bit.png'),
                            width=int(data.get('imgWidth', 0)),
                            height=int(data.get('imgHeight', 0)), instances=instances))
    return records


def parse_citypersons(path: PathLike) -> List[ImageRecord]:
    """Parse any CityPersons annotation layout (chosen from the suffix / folder).

    Args:
        path (str | Path): ``*.json`` (COCO style), ``*.mat`` or a gtBboxCityPersons folder.

    Returns:
        list[dict]: Image records.
    """
    path = Path(path)
    if path.is_dir():
        return parse_citypersons_bbox_dir(path)
    if path.suffix == '.mat':
        return parse_citypersons_mat(path)
    if path.suffix == '.json':
        return parse_citypersons_json(path)
    raise parse_error(path, 'file', 'suffix', 'expected .json, .mat or a gtBboxCityPersons folder')
