# Copyright (c) mmped contributors. All rights reserved.
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

__all__ = ['BaseReIDDataset', 'parse_market_name', 'list_images']

MARKET_NAME = re.compile(r'^(-?\d+)_c(\d+)s(\d+)_(\d+)_(\d+)')
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_market_name(name: str) -> Tuple[int, int]:
    """Person id and 0-based camera of a Market-1501 / DukeMTMC file name.

    ``PPPP_cCsS_FFFFFF_NN.jpg``: pid ``PPPP`` (-1 junk, 0 distractor), camera ``C`` (1-based in
    the name), sequence ``S``, frame ``FFFFFF``, box ``NN``. DukeMTMC-reID names
    (``PPPP_cC_fFFFFFFF.jpg``) are accepted too.

    Args:
        name (str): File name (a path is fine).

    Returns:
        tuple[int, int]: ``(pid, camid)``.

    Raises:
        ValueError: When the name does not follow either pattern.
    """
    base = osp.basename(name)
    m = MARKET_NAME.match(base) or re.match(r'^(-?\d+)_c(\d+)_', base)
    if m is None:
        raise ValueError(f'{name}: not a Market-1501 / DukeMTMC file name '
                         '(PPPP_cCsS_FFFFFF_NN.jpg)')
    return int(m.group(1)), int(m.group(2)) - 1


def list_images(folder: str) -> List[str]:
    """Sorted image file names in ``folder``.

    Raises:
        FileNotFoundError: When ``folder`` does not exist.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'image folder {folder} not found')
    return sorted(f for f in os.listdir(folder) if f.lower().endswith(IMG_EXTENSIONS))


class BaseReIDDataset(BaseDataset):
    """Base class of person re-identification datasets.

    Subclasses implement :meth:`load_items` returning ``(img_path, pid, camid, split)``
    tuples. Every data info holds ``img_path``, ``gt_label`` (contiguous 0..num_ids-1 for the
    ``'train'`` split, the original pid otherwise), ``pid``, ``camid`` and ``split``; metainfo
    has ``num_ids`` and ``num_cams`` (see docs/attributes.md). ``split='test'`` concatenates
    query then gallery items so that one :class:`ReIDMetric` run applies the protocol.

    Args:
        data_root (str): Dataset root.
        split (str): ``'train'``, ``'query'``, ``'gallery'`` or ``'test'``.
        ann_file (str): Annotation file, when the dataset has one. Defaults to ''.
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset`.
    """

    SPLITS: Sequence[str] = ('train', 'query', 'gallery', 'test')

    def __init__(self, data_root: str = '', split: str = 'train', ann_file: str = '',
                 **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(ann_file=ann_file, data_root=data_root, **kwargs)

    def load_items(self) -> List[Tuple[str, int, int, str]]:
        """``(img_path, pid, camid, split)`` of every item of ``self.split``."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        items = self.load_items()
        pids = sorted({p for _, p, _, s in items})
        relabel = {p: i for i, p in enumerate(pids)}
        self._metainfo['num_ids'] = len(pids)
        self._metainfo['num_cams'] = len({c for _, _, c, _ in items})
        return [
            dict(img_path=path, gt_label=relabel[pid] if split == 'train' else pid, pid=pid,
                 camid=camid, split=split) for path, pid, camid, split in items
        ]

    def _root_path(self, *parts: str) -> str:
        return osp.join(self.data_root, *parts) if self.data_root else osp.join(*parts)

    @staticmethod
    def test_splits(split: str) -> Tuple[str, ...]:
        """The sub-splits loaded for ``split`` (``'test'`` -> query then gallery)."""
        return ('query', 'gallery') if split == 'test' else (split, )

    def get_pids_camids(self, split: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Pids and camera ids of the loaded items (optionally of one sub-split)."""
        infos = [self.get_data_info(i) for i in range(len(self))]
        infos = [d for d in infos if split is None or d['split'] == split]
        return (np.array([d['pid'] for d in infos], dtype=np.int64),
                np.array([d['camid'] for d in infos], dtype=np.int64))
