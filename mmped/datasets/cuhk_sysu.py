# Copyright (c) mmped contributors. All rights reserved.
"""CUHK-SYSU (Xiao et al., CVPR 2017) for person search."""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from scipy.io import loadmat

from mmped.registry import DATASETS

from .person_search import PersonSearchDataset, best_iou_match, image_size, xywh_to_xyxy


def _str(value) -> str:
    """A MATLAB char array / cell (possibly nested in 1x1 arrays) as a python string."""
    arr = np.asarray(value)
    while arr.dtype == object and arr.size == 1:
        arr = np.asarray(arr.reshape(-1)[0])
    if arr.size == 0:
        return ''
    return str(arr.reshape(-1)[0]) if arr.dtype.kind in 'US' else str(arr)


def _box(value) -> Optional[List[float]]:
    """A MATLAB ``[x y w h]`` as xyxy, or None when empty."""
    arr = np.asarray(value)
    while arr.dtype == object and arr.size == 1:
        arr = np.asarray(arr.reshape(-1)[0])
    if arr.size == 0:
        return None
    return xywh_to_xyxy(arr.astype(np.float64).reshape(-1)[:4])


def _single_var(path: str, prefix: str = ''):
    mat = loadmat(path)
    keys = [k for k in mat if not k.startswith('__') and k.startswith(prefix)]
    if len(keys) != 1:
        raise KeyError(f'{path}: expected one variable named {prefix}*, found {keys}')
    return np.asarray(mat[keys[0]])


def load_cuhk_sysu_protocol(path: str) -> List[dict]:
    """Parse a CUHK-SYSU test protocol ``TestG{N}.mat``.

    Args:
        path (str): The ``.mat`` file (variable ``TestG{N}``: 1 x 2900 structs with ``Query``
            (``imname``, ``idlocate`` x y w h, ``ishard``, ``idname``) and ``Gallery``
            (1 x N ``imname``, ``idlocate`` (empty when the target is absent), ``ishard``)).

    Returns:
        list[dict]: Per query ``img_name``, ``bbox`` (xyxy), ``idname``, ``gallery`` (image
        names) and ``gallery_bboxes`` (xyxy of the target or None per gallery image).
    """
    protocol = _single_var(path, 'TestG').reshape(-1)
    out = []
    for qi, item in enumerate(protocol):
        try:
            query = np.asarray(item['Query']).reshape(-1)[0]
            gallery = np.asarray(item['Gallery']).reshape(-1)
            names = [_str(g['imname']) for g in gallery]
            boxes = [_box(g['idlocate']) for g in gallery]
            qbox = _box(query['idlocate'])
        except (KeyError, ValueError, IndexError) as err:
            raise ValueError(f'{path}: query {qi}: malformed record ({err})') from None
        if qbox is None:
            raise ValueError(f'{path}: query {qi}: empty Query.idlocate')
        out.append(dict(img_name=_str(query['imname']), bbox=qbox,
                        idname=_str(query['idname']), gallery=names, gallery_bboxes=boxes))
    return out


@DATASETS.register_module()
class CUHKSYSUDataset(PersonSearchDataset):
    """CUHK-SYSU: 18,184 images, 8,432 ids; train 11,206 images / 5,532 ids, test 6,978.

    Annotation sources:

    * raw files: ``ann_file='annotation/Images.mat'`` (``Img``: ``imname``, ``nAppear``,
      ``box`` with ``idlocate`` x y w h), ``person_file='annotation/Person.mat'`` (``Person``:
      ``idname``, ``nAppear``, ``scene`` with ``imname``, ``idlocate``) and
      ``pool_file='annotation/pool.mat'`` (the test images); the split is ``'test'`` in test
      mode and ``'train'`` otherwise. A box gets the identity of the ``Person.mat`` entry whose
      ``idlocate`` equals it (IoU >= ``match_iou``), others are unlabelled; image sizes (not in
      the annotation files) are read from the image headers under ``data_prefix['img']``, so
      aspect-ratio batching groups the images correctly;
    * ``ann_file='*.json'``: a COCO-style conversion with ``person_id``.

    Test protocol: ``query_file='annotation/test/train_test/TestG{50..4000}.mat'`` gives the
    2,900 queries, their galleries and the target box in each gallery image (used as given,
    including the 2 queries of TestG100 whose own image is in their gallery);
    ``gallery_size=-1`` searches the full test set instead (every other test image, targets =
    boxes with the query's identity).

    Args:
        person_file (str): ``Person.mat`` (raw format only).
        pool_file (str): ``pool.mat`` (raw format only).
        gallery_size (int): -1 for the full test set; otherwise the galleries of
            ``query_file`` are used (their size must equal this value, a guard against a
            mismatched file). Defaults to 100.
        match_iou (float): IoU for matching identity boxes to image boxes. Defaults to 0.99.
        **kwargs: See :class:`PersonSearchDataset`.
    """

    def __init__(self,
                 *args,
                 person_file: str = 'annotation/Person.mat',
                 pool_file: str = 'annotation/pool.mat',
                 gallery_size: int = 100,
                 match_iou: float = 0.99,
                 **kwargs) -> None:
        self.person_file = person_file
        self.pool_file = pool_file
        self.gallery_size = gallery_size
        self.match_iou = match_iou
        super().__init__(*args, **kwargs)

    def _path(self, path: str) -> str:
        return osp.join(self.data_root, path) if self.data_root and not osp.isabs(path) \
            else path

    def load_raw(self, path: str) -> List[dict]:
        """Parse ``Images.mat`` / ``Person.mat`` / ``pool.mat`` for the current split."""
        pool_path = self._path(self.pool_file)
        test_names = {_str(v) for v in _single_var(pool_path).reshape(-1)}
        want_test = self.test_mode
        img_prefix = self.data_prefix.get('img', '')
        images = _single_var(path, 'Img').reshape(-1)
        records, by_name = [], {}
        for idx, img in enumerate(images):
            name = _str(img['imname'])
            if (name in test_names) != want_test:
                continue
            boxes = [_box(b['idlocate']) for b in np.asarray(img['box']).reshape(-1)]
            boxes = np.array([b for b in boxes if b is not None]).reshape(-1, 4)
            boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
            width, height = image_size(osp.join(img_prefix, name), path, f'Img({idx + 1})')
            rec = self._record(name, idx, width, height, boxes, [None] * len(boxes), path)
            records.append(rec)
            by_name[name] = rec
        person_path = self._path(self.person_file)
        persons = _single_var(person_path, 'Person').reshape(-1)
        for pi, person in enumerate(persons):
            idname = _str(person['idname'])
            for si, scene in enumerate(np.asarray(person['scene']).reshape(-1)):
                rec = by_name.get(_str(scene['imname']))
                if rec is None:
                    continue  # other split
                box = _box(scene['idlocate'])
                gts = np.array([i['bbox'] for i in rec['instances']]).reshape(-1, 4)
                j, iou = best_iou_match(box, gts) if box is not None else (-1, 0.0)
                if iou < self.match_iou:
                    raise ValueError(f'{person_path}: person {pi} ({idname}), scene {si}: no '
                                     f'box of {rec["file_name"]} matches {box}')
                rec['instances'][j]['raw_person_id'] = idname
        return records

    def load_queries(self, path: str, records: List[dict], id_map: Dict[object, int]) -> None:
        """Attach the queries of ``TestG{N}.mat`` (with their galleries) to their images."""
        by_name = {r['file_name']: r for r in records}
        for qi, q in enumerate(load_cuhk_sysu_protocol(path)):
            rec = by_name.get(q['img_name'])
            if rec is None:
                raise KeyError(f'{path}: query {qi}: image {q["img_name"]} not in the test set')
            if self.gallery_size >= 0 and len(q['gallery']) != self.gallery_size:
                raise ValueError(f'{path}: query {qi} has a gallery of {len(q["gallery"])} '
                                 f'images, gallery_size={self.gallery_size}')
            gts = np.array([i['bbox'] for i in rec['instances']]).reshape(-1, 4)
            j, iou = best_iou_match(q['bbox'], gts)
            if j >= 0 and iou >= 0.5 and rec['instances'][j]['person_id'] >= 0:
                label = rec['instances'][j]['person_id']
            elif q['idname'] in id_map:
                label = id_map[q['idname']]
            else:
                raise KeyError(f'{path}: query {qi} ({q["idname"]}): no labelled box in '
                               f'{q["img_name"]} matches the query box')
            full = self.gallery_size < 0
            rec['queries'].append(dict(bbox=q['bbox'], person_id=label, query_id=qi,
                                       gallery=None if full else q['gallery'],
                                       gallery_bboxes=None if full else q['gallery_bboxes']))
