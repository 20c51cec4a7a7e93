# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
import re
from typing import List, Tuple

import numpy as np

from mmped.registry import DATASETS

from .reid_base import BaseReIDDataset, list_images

__all__ = ['VIPeRDataset', 'viper_splits']


def viper_splits(pids: List[int], num_splits: int = 10, seed: int = 0) -> List[np.ndarray]:
    """Seeded half/half identity splits: each array holds the sorted TEST pids of a split."""
    pids = np.array(sorted(set(pids)))
    rng = np.random.default_rng(seed)
    return [np.sort(rng.permutation(pids)[len(pids) // 2:]) for _ in range(num_splits)]


@DATASETS.register_module()
class VIPeRDataset(BaseReIDDataset):
    """VIPeR (Gray et al., 2007): 632 identities, one image in each of two cameras.

    Folders ``cam_a`` and ``cam_b`` with ``<pid:03d>_<angle>.bmp`` images. ``num_splits``
    seeded random splits of the identities into 316 train / 316 test (the protocol's 10
    random splits; the seed makes them reproducible). Query = test identities in ``cam_a``,
    gallery = the same identities in ``cam_b`` (``swap_views`` exchanges them).

    Args:
        data_root (str): Root holding ``cam_a`` / ``cam_b``.
        split (str): ``'train'``, ``'query'``, ``'gallery'`` or ``'test'``.
        split_index (int): Split 0..num_splits-1. Defaults to 0.
        num_splits (int): Defaults to 10.
        seed (int): Defaults to 0.
        swap_views (bool): Query from ``cam_b``. Defaults to False.
        **kwargs: See :class:`BaseReIDDataset`.
    """

    def __init__(self, data_root: str = '', split: str = 'train', split_index: int = 0,
                 num_splits: int = 10, seed: int = 0, swap_views: bool = False,
                 **kwargs) -> None:
        if not 0 <= split_index < num_splits:
            raise ValueError(f'split_index {split_index} not in [0, {num_splits})')
        self.split_index, self.num_splits, self.seed = split_index, num_splits, seed
        self.swap_views = swap_views
        super().__init__(data_root=data_root, split=split, **kwargs)

    def load_items(self) -> List[Tuple[str, int, int, str]]:
        per_cam = []
        for cam in ('cam_a', 'cam_b'):
            folder = self._root_path(cam)
            entries = []
            for name in list_images(folder):
                m = re.match(r'^(\d+)_', name)
                if m is None:
                    raise ValueError(f'{osp.join(folder, name)}: not a VIPeR name '
                                     '(<pid>_<angle>.bmp)')
                entries.append((osp.join(folder, name), int(m.group(1))))
            per_cam.append(entries)
        pids = [p for _, p in per_cam[0] + per_cam[1]]
        test = set(viper_splits(pids, self.num_splits, self.seed)[self.split_index].tolist())
        query_cam = 1 if self.swap_views else 0
        items = []
        for split in self.test_splits(self.split):
            for cam, entries in enumerate(per_cam):
                for path, pid in entries:
                    if split == 'train' and pid not in test:
                        items.append((path, pid, cam, split))
                    elif split != 'train' and pid in test and (
                            (split == 'query') == (cam == query_cam)):
                        items.append((path, pid, cam, split))
        return items
