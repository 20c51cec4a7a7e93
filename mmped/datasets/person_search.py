# Copyright (c) mmped contributors. All rights reserved.
"""Shared base of the person-search datasets (PRW, CUHK-SYSU).

Person-id convention inside mmped (one for every source format):

* ``instances[i]['person_id']`` is a **contiguous training label** in ``[0, num_person_ids)``
  for a labelled person and ``UNLABELLED_ID = -1`` for a person without identity. Source ids
  (PRW ids with -2 = unlabelled, CUHK-SYSU ``pNNNNN`` names, COCO-json ``person_id`` with -1 or
  -2) are mapped at load time: negative ids become -1, labelled ids are ranked in increasing
  order. The map is kept in ``metainfo['person_id_map']`` (source id -> label) and its size in
  ``metainfo['num_person_ids']``.
* ``queries`` of a test image: a list of dicts ``bbox`` (x1, y1, x2, y2 in the original image),
  ``person_id`` (same labels), ``query_id`` (running index over the whole split) and
  ``gallery`` (list of image file names of the protocol gallery, or ``None`` for "every other
  test image").
"""
import json
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmdet.datasets import BaseDetDataset

UNLABELLED_ID = -1


def camera_of(name: str) -> int:
    """Camera index of a PRW frame name (``c3s1_000551.jpg`` -> 3); -1 if none."""
    match = re.match(r'c(\d+)s\d+', osp.basename(name))
    return int(match.group(1)) if match else -1


def xywh_to_xyxy(box: Sequence[float]) -> List[float]:
    """``(x, y, w, h)`` -> ``(x1, y1, x2, y2)``."""
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y + h]


def image_size(path: str, source: str, record: str) -> Tuple[int, int]:
    """``(width, height)`` of an image file from its header only (PIL opens lazily).

    Args:
        path (str): The image file.
        source (str): Annotation file naming the image (for the error message).
        record (str): Record naming the image in ``source`` (for the error message).

    Returns:
        tuple[int, int]: Width and height in pixels.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return img.size
    except FileNotFoundError:
        raise FileNotFoundError(f'{source}: {record}: image {path} not found (needed for its '
                                f'size)') from None
    except UnidentifiedImageError:
        raise ValueError(f'{source}: {record}: {path} is not a readable image') from None


def best_iou_match(box: Sequence[float], boxes: np.ndarray) -> (int, float):
    """Index and IoU of the box of ``boxes`` (N, 4) xyxy overlapping ``box`` (4, ) most."""
    if len(boxes) == 0:
        return -1, 0.0
    b = np.asarray(box, dtype=np.float64)
    lt = np.maximum(boxes[:, :2], b[:2])
    rb = np.minimum(boxes[:, 2:], b[2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[:, 0] * wh[:, 1]
    union = np.prod(b[2:] - b[:2]) + np.prod(boxes[:, 2:] - boxes[:, :2], axis=1) - inter
    iou = inter / np.maximum(union, 1e-12)
    j = int(np.argmax(iou))
    return j, float(iou[j])


class PersonSearchDataset(BaseDetDataset):
    """Base class: COCO-style json with ``person_id`` and the id / query conventions above.

    Subclasses implement :meth:`load_raw` (the dataset's original files) and :meth:`load_queries`.

    Args:
        ann_file (str): A ``.json`` COCO-style file with ``person_id`` per annotation, or the
            dataset's raw annotation file (see subclasses).
        query_file (str, optional): Query definition (PRW ``query_info.txt`` / CUHK-SYSU
            ``TestG{N}.mat``); only used in test mode. Defaults to None (no queries).
        min_box_size (float): Boxes with a side below this (pixels) are dropped at load time.
            Defaults to 1.
        **kwargs: :class:`mmdet.datasets.BaseDetDataset` arguments (``data_root``,
            ``data_prefix=dict(img=...)``, ``pipeline``, ``test_mode``, ``filter_cfg``...).
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])

    def __init__(self,
                 *args,
                 query_file: Optional[str] = None,
                 min_box_size: float = 1.0,
                 **kwargs) -> None:
        self.query_file = query_file
        self.min_box_size = min_box_size
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ loading
    def load_data_list(self) -> List[dict]:
        """Load images, boxes and person ids; add queries in test mode."""
        if self.ann_file.endswith('.json'):
            records = self.load_coco_json(self.ann_file)
        else:
            records = self.load_raw(self.ann_file)
        id_map = self._build_id_map(records)
        for rec in records:
            for inst in rec['instances']:
                raw = inst.pop('raw_person_id')
                inst['person_id'] = id_map.get(raw, UNLABELLED_ID)
            rec['queries'] = []
        if self.test_mode and self.query_file:
            qpath = self.query_file
            if self.data_root and not osp.isabs(qpath):
                qpath = osp.join(self.data_root, qpath)
            self.load_queries(qpath, records, id_map)
        self._metainfo['person_id_map'] = id_map
        self._metainfo['num_person_ids'] = len(id_map)
        return records

    @staticmethod
    def _build_id_map(records: List[dict]) -> Dict[object, int]:
        raw = sorted({inst['raw_person_id'] for rec in records for inst in rec['instances']
                      if inst['raw_person_id'] is not None})
        return {pid: i for i, pid in enumerate(raw)}

    def _record(self, file_name: str, img_id, width: int, height: int,
                boxes: np.ndarray, raw_ids: Sequence, source: str) -> dict:
        """Build one data info; ``raw_ids[i] is None`` marks an unlabelled person."""
        img_prefix = self.data_prefix.get('img', '')
        instances = []
        for k, (box, pid) in enumerate(zip(boxes, raw_ids)):
            x1, y1, x2, y2 = (float(v) for v in box)
            if not np.isfinite([x1, y1, x2, y2]).all():
                raise ValueError(f'{source}: image {file_name}, box {k}: non-finite bbox')
            if x2 - x1 < self.min_box_size or y2 - y1 < self.min_box_size:
                continue
            instances.append(dict(bbox=[x1, y1, x2, y2], bbox_label=0, ignore_flag=0,
                                  raw_person_id=pid))
        return dict(img_path=osp.join(img_prefix, file_name), img_id=img_id,
                    file_name=file_name, width=int(width), height=int(height),
                    cam_id=camera_of(file_name), instances=instances)

    def load_coco_json(self, path: str) -> List[dict]:
        """Parse a COCO-style json whose annotations carry ``person_id`` (negative = no id).

        Args:
            path (str): The json file.

        Returns:
            list[dict]: Data infos with ``raw_person_id`` per instance.
        """
        with open(path) as f:
            data = json.load(f)
        for key in ('images', 'annotations'):
            if key not in data:
                raise KeyError(f'{path}: missing top-level field "{key}"')
        per_image: Dict[object, list] = {img['id']: [] for img in data['images']}
        for k, ann in enumerate(data['annotations']):
            for field in ('image_id', 'bbox', 'person_id'):
                if field not in ann:
                    raise KeyError(f'{path}: annotation {k} (id {ann.get("id")}) has no '
                                   f'field "{field}"')
            if ann['image_id'] not in per_image:
                raise KeyError(f'{path}: annotation {k} refers to unknown image_id '
                               f'{ann["image_id"]}')
            if len(ann['bbox']) != 4:
                raise ValueError(f'{path}: annotation {k}: bbox must have 4 numbers')
            per_image[ann['image_id']].append(ann)
        records = []
        for img in data['images']:
            anns = per_image[img['id']]
            boxes = np.array([xywh_to_xyxy(a['bbox']) for a in anns]).reshape(-1, 4)
            ids = [int(a['person_id']) if int(a['person_id']) >= 0 else None for a in anns]
            records.append(self._record(img['file_name'], img['id'], img['width'],
                                        img['height'], boxes, ids, path))
        return records

    def load_raw(self, path: str) -> List[dict]:
        """Parse the dataset's original annotation files (implemented by subclasses)."""
        raise NotImplementedError(f'{type(self).__name__} has no raw-format loader')

    def load_queries(self, path: str, records: List[dict], id_map: Dict[object, int]) -> None:
        """Attach ``queries`` to the records of their images (implemented by subclasses)."""
        raise NotImplementedError(f'{type(self).__name__} has no query loader')

    # ------------------------------------------------------------------ filtering
    def filter_data(self) -> List[dict]:
        """Drop training images without boxes when ``filter_cfg.filter_empty_gt``."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        if self.filter_cfg.get('filter_empty_gt', False):
            return [d for d in self.data_list if d['instances']]
        return self.data_list

    @property
    def queries(self) -> List[dict]:
        """All queries of the split, ordered by ``query_id`` (with their ``img_path``)."""
        out = []
        for i in range(len(self)):
            info = self.get_data_info(i)
            out.extend(dict(q, img_path=info['img_path']) for q in info['queries'])
        return sorted(out, key=lambda q: q['query_id'])
