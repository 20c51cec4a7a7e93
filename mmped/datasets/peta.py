# Copyright (c) mmped contributors. All rights reserved.
from typing import List

import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .pedestrian_attribute_base import BaseAttributeDataset, mat_strings

__all__ = ['PETADataset']


@DATASETS.register_module()
class PETADataset(BaseAttributeDataset):
    """PETA pedestrian attributes (Deng et al., ACM MM 2014; 19,000 images).

    Reads ``PETA.mat`` as distributed with DeepMAR / Rethinking-of-PAR: ``peta.data`` (19000 x
    109: 4 id columns then 105 binary labels), ``peta.attribute`` (105 names),
    ``peta.selected_attribute`` (the 35 evaluated attributes, 1-based columns of ``data``) and
    ``peta.partion_attribute`` (5 random partitions with 1-based ``train`` / ``val`` /
    ``test`` indices, 9,500 / 1,900 / 7,600). Images are ``<id:05d>.png`` with the id of the
    first data column.

    Args:
        ann_file (str): Annotation file. Defaults to ``'PETA.mat'``.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'trainval'``.
        partition (int): Partition index 0-4. Defaults to 0.
        attribute_set (str): ``'selected'`` (35, the protocol) or ``'all'`` (105).
        data_root (str): Dataset root.
        data_prefix (str | dict): Image folder. Defaults to ``'images'``.
        **kwargs: See :class:`BaseAttributeDataset`.
    """

    def __init__(self, ann_file: str = 'PETA.mat', split: str = 'train', partition: int = 0,
                 attribute_set: str = 'selected', data_root: str = '', data_prefix='images',
                 **kwargs) -> None:
        if attribute_set not in ('selected', 'all'):
            raise ValueError(f"attribute_set must be 'selected' or 'all', got {attribute_set!r}")
        self.partition = partition
        self.attribute_set = attribute_set
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        mat = sio.loadmat(self.ann_file)
        if 'peta' not in mat:
            raise KeyError(f'{self.ann_file}: struct {"peta"!r} is missing')
        peta = mat['peta'][0, 0]
        for key in ('data', 'attribute', 'selected_attribute', 'partion_attribute'):
            if key not in peta.dtype.names:
                raise KeyError(f'{self.ann_file}: field peta.{key} is missing')
        data = np.asarray(peta['data'])
        names = mat_strings(peta['attribute'], self.ann_file, 'peta.attribute')
        if data.ndim != 2 or data.shape[1] != 4 + len(names):
            raise ValueError(f'{self.ann_file}: peta.data has shape {data.shape}, expected '
                             f'(N, {4 + len(names)})')
        if self.attribute_set == 'selected':
            cols = np.asarray(peta['selected_attribute']).ravel().astype(np.int64) - 1
        else:
            cols = np.arange(4, data.shape[1])
        if cols.min() < 4 or cols.max() >= data.shape[1]:
            raise ValueError(f'{self.ann_file}: peta.selected_attribute points outside the '
                             'label columns')
        self._set_attribute_names([names[c - 4] for c in cols])
        partitions = np.asarray(peta['partion_attribute']).ravel()
        if not 0 <= self.partition < len(partitions):
            raise ValueError(f'{self.ann_file}: partition {self.partition} not in '
                             f'[0, {len(partitions)})')
        part = partitions[self.partition][0, 0]
        subsets = ('train', 'val') if self.split == 'trainval' else (self.split, )
        idx = np.concatenate([np.asarray(part[s]).ravel().astype(np.int64) - 1 for s in subsets])
        if idx.min() < 0 or idx.max() >= len(data):
            raise ValueError(f'{self.ann_file}: partition {self.partition} has an index out '
                             f'of [1, {len(data)}]')
        return [self.make_data_info(f'{int(data[i, 0]):05d}.png', data[i, cols], int(i))
                for i in idx]
