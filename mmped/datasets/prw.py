# Copyright (c) mmped contributors. All rights reserved.
"""PRW (Person Re-identification in the Wild, Zheng et al., CVPR 2017) for person search."""
import os.path as osp
from typing import Dict, List

import numpy as np
from scipy.io import loadmat

from mmped.registry import DATASETS

from .person_search import PersonSearchDataset, best_iou_match, xywh_to_xyxy

# keys of the box array in PRW's annotations/<frame>.jpg.mat (most files use the first)
_PRW_BOX_KEYS = ('box_new', 'anno_file', 'anno_previous')


def _mat_names(path: str) -> List[str]:
    """Frame names of ``frame_{train,test}.mat`` (the only non-header variable)."""
    mat = loadmat(path)
    keys = [k for k in mat if not k.startswith('__')]
    if len(keys) != 1:
        raise KeyError(f'{path}: expected one frame-list variable, found {keys}')
    return [str(np.asarray(v).reshape(-1)[0]) for v in np.asarray(mat[keys[0]]).reshape(-1)]


@DATASETS.register_module()
class PRWDataset(PersonSearchDataset):
    """PRW: 11,816 frames of 6 cameras; train 5,704 frames / 482 ids, test 6,112 frames.

    Two annotation sources give the same data infos:

    * ``ann_file='frame_train.mat'`` / ``'frame_test.mat'`` (raw files): frame names, boxes read
      from ``<anno_dir>/<frame>.jpg.mat`` (``[id, x, y, w, h]`` rows, id -2 = unlabelled);
    * ``ann_file='*.json'``: the widely used COCO-style conversion with ``person_id``.

    Test protocol: queries from ``query_info.txt`` (``pid x y w h frame`` per line); each query
    searches every other test frame (``gallery=None``); the cross-camera variant is a metric
    option (``PersonSearchMetric(cross_camera=True)``).

    Args:
        anno_dir (str): Folder of the per-frame ``.mat`` files, relative to ``data_root``.
            Defaults to ``'annotations'``.
        frame_size (tuple): ``(width, height)`` written for raw-format frames (all PRW frames are
            1920 x 1080). Defaults to (1920, 1080).
        **kwargs: See :class:`PersonSearchDataset`.
    """

    def __init__(self, *args, anno_dir: str = 'annotations', frame_size=(1920, 1080),
                 **kwargs) -> None:
        self.anno_dir = anno_dir
        self.frame_size = tuple(frame_size)
        super().__init__(*args, **kwargs)

    def load_raw(self, path: str) -> List[dict]:
        """Parse ``frame_{train,test}.mat`` and the per-frame annotation files."""
        anno_dir = self.anno_dir
        if self.data_root and not osp.isabs(anno_dir):
            anno_dir = osp.join(self.data_root, anno_dir)
        records = []
        for idx, name in enumerate(_mat_names(path)):
            file_name = name if name.endswith('.jpg') else f'{name}.jpg'
            mat_path = osp.join(anno_dir, f'{file_name}.mat')
            mat = loadmat(mat_path)
            key = next((k for k in _PRW_BOX_KEYS if k in mat), None)
            if key is None:
                raise KeyError(f'{mat_path}: none of the box variables {_PRW_BOX_KEYS}')
            rows = np.asarray(mat[key], dtype=np.float64).reshape(-1, 5)
            # as the reference loaders do: clip x, y, w, h at 0 (a few are negative), then
            # convert to corners (a box starting left of the frame keeps its width)
            xywh = np.clip(rows[:, 1:], 0, None)
            boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
            ids = [int(r[0]) if r[0] >= 0 else None for r in rows]
            records.append(self._record(file_name, idx, *self.frame_size, boxes, ids,
                                        mat_path))
        return records

    def load_queries(self, path: str, records: List[dict], id_map: Dict[object, int]) -> None:
        """Read ``query_info.txt`` rows ``pid x y w h frame`` into the records' ``queries``."""
        by_name = {osp.splitext(r['file_name'])[0]: r for r in records}
        with open(path) as f:
            lines = [ln.split() for ln in f if ln.strip()]
        for line_no, parts in enumerate(lines, 1):
            if len(parts) != 6:
                raise ValueError(f'{path}: line {line_no}: expected "pid x y w h frame", '
                                 f'got {len(parts)} fields')
            pid, frame = int(parts[0]), osp.splitext(parts[5])[0]
            # corners clipped at 0, as the reference query loaders do
            box = np.clip(xywh_to_xyxy([float(v) for v in parts[1:5]]), 0, None).tolist()
            rec = by_name.get(frame)
            if rec is None:
                raise KeyError(f'{path}: line {line_no}: frame {frame} is not a test frame')
            if pid not in id_map:
                # the query person must appear in its own frame: take the id from the box
                gts = np.array([i['bbox'] for i in rec['instances']]).reshape(-1, 4)
                j, iou = best_iou_match(box, gts)
                if j < 0 or iou < 0.5 or rec['instances'][j]['person_id'] < 0:
                    raise KeyError(f'{path}: line {line_no}: person id {pid} unknown')
                label = rec['instances'][j]['person_id']
            else:
                label = id_map[pid]
            rec['queries'].append(dict(bbox=box, person_id=label, query_id=line_no - 1,
                                       gallery=None))
