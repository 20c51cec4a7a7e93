# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .reid_base import BaseReIDDataset, list_images, parse_market_name

__all__ = ['Market1501Dataset', 'read_market1501_label_vectors']


@DATASETS.register_module()
class Market1501Dataset(BaseReIDDataset):
    """Market-1501 (Zheng et al., ICCV 2015): 1,501 identities, 6 cameras.

    Folders ``bounding_box_train`` (12,936 images, 751 ids), ``query`` (3,368) and
    ``bounding_box_test`` (19,732). Pid and camera come from the file names (see
    :func:`parse_market_name`). Junk gallery images (pid -1) are dropped (15,913 remain) unless
    ``keep_junk``; distractors (pid 0) stay. The same-pid-same-camera removal is done by the
    metric, per query.

    Args:
        data_root (str): Root holding the three folders.
        split (str): ``'train'``, ``'query'``, ``'gallery'`` or ``'test'`` (query + gallery).
        keep_junk (bool): Keep pid -1 gallery images (the metric drops them anyway).
        folders (dict, optional): Override of the folder of each split.
        **kwargs: See :class:`BaseReIDDataset`.
    """

    FOLDERS = dict(train='bounding_box_train', query='query', gallery='bounding_box_test')

    def __init__(self, data_root: str = '', split: str = 'train', keep_junk: bool = False,
                 folders: Dict[str, str] = None, **kwargs) -> None:
        self.keep_junk = keep_junk
        self.folders = {**self.FOLDERS, **(folders or {})}
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_items(self) -> List[Tuple[str, int, int, str]]:
        items = []
        for split in self.test_splits(self.split):
            folder = self._root_path(self.folders[split])
            for name in list_images(folder):
                pid, camid = parse_market_name(name)
                if pid == -1 and not self.keep_junk:
                    continue
                if split != 'gallery' and pid <= 0 and pid != -1:
                    raise ValueError(f'{osp.join(folder, name)}: pid {pid} in the {split} split')
                items.append((osp.join(folder, name), pid, camid, split))
        return items


def read_market1501_label_vectors(folder: str) -> Dict[str, np.ndarray]:
    """Read the Market-1501 label vectors of the official / re-ranking evaluation code.

    Files ``queryID.mat``, ``queryCam.mat``, ``testID.mat``, ``testCam.mat`` (one vector each;
    cameras 1-based in the files) and, when present, ``train_label.mat`` / ``train_cam.mat``.

    Args:
        folder (str): Folder holding the ``.mat`` files.

    Returns:
        dict: ``q_pids``, ``q_camids``, ``g_pids``, ``g_camids`` (and ``train_pids``,
        ``train_camids``) as int64 arrays, cameras 0-based; the gallery keeps its junk (-1)
        and distractor (0) entries, which :func:`eval_reid` handles.
    """
    def vector(name: str) -> np.ndarray:
        path = osp.join(folder, f'{name}.mat')
        mat = sio.loadmat(path)
        keys = [k for k in mat if not k.startswith('__')]
        if len(keys) != 1:
            raise ValueError(f'{path}: expected one variable, found {keys}')
        return np.asarray(mat[keys[0]]).ravel().astype(np.int64)

    out = dict(q_pids=vector('queryID'), q_camids=vector('queryCam') - 1,
               g_pids=vector('testID'), g_camids=vector('testCam') - 1)
    if osp.exists(osp.join(folder, 'train_label.mat')):
        out['train_pids'] = vector('train_label')
        out['train_camids'] = vector('train_cam') - 1
    for a, b in (('q_pids', 'q_camids'), ('g_pids', 'g_camids')):
        if len(out[a]) != len(out[b]):
            raise ValueError(f'{folder}: {a} has {len(out[a])} entries but {b} has '
                             f'{len(out[b])}')
    return out
