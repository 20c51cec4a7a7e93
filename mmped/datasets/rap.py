# Copyright (c) mmped contributors. All rights reserved.
from typing import List

import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .pedestrian_attribute_base import BaseAttributeDataset, mat_strings

__all__ = ['RAPDataset']


@DATASETS.register_module()
class RAPDataset(BaseAttributeDataset):
    """RAP v1 pedestrian attributes (Li et al., 2016; 41,585 images, 51 evaluated attributes).

    Reads ``RAP_annotation.mat``: struct ``RAP_annotation`` with ``imagesname`` (41585 names),
    ``label`` (41585 x 92, values 0 / 1 / 2), ``attribute_eng`` (92 names),
    ``selected_attribute`` (1-based indices of the evaluated attributes; when absent the first
    51, as Rethinking-of-PAR) and ``partion`` (5 partitions with 1-based ``train_index`` /
    ``test_index``). Label 2 means uncertain.

    Args:
        ann_file (str): Annotation file. Defaults to ``'RAP_annotation.mat'``.
        split (str): ``'train'`` (= the partition's training index) or ``'test'``.
        partition (int): Partition 0-4. Defaults to 0.
        uncertain (str): How label 2 is treated: ``'ignore'`` (``gt_valid`` False: no loss, not
            evaluated; the protocol's "weight 0"), ``'negative'`` or ``'positive'``.
        num_attributes (int): Evaluated attributes when ``selected_attribute`` is absent.
        data_root (str): Dataset root.
        data_prefix (str | dict): Image folder. Defaults to ``'RAP_dataset'``.
        **kwargs: See :class:`BaseAttributeDataset`.
    """

    SPLITS = ('train', 'test')

    def __init__(self, ann_file: str = 'RAP_annotation.mat', split: str = 'train',
                 partition: int = 0, uncertain: str = 'ignore', num_attributes: int = 51,
                 data_root: str = '', data_prefix='RAP_dataset', **kwargs) -> None:
        if uncertain not in ('ignore', 'negative', 'positive'):
            raise ValueError("uncertain must be 'ignore', 'negative' or 'positive', got "
                             f'{uncertain!r}')
        self.partition = partition
        self.uncertain = uncertain
        self.num_attributes = num_attributes
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        mat = sio.loadmat(self.ann_file)
        if 'RAP_annotation' not in mat:
            raise KeyError(f'{self.ann_file}: struct {"RAP_annotation"!r} is missing')
        rap = mat['RAP_annotation'][0, 0]
        for key in ('imagesname', 'label', 'attribute_eng', 'partion'):
            if key not in rap.dtype.names:
                raise KeyError(f'{self.ann_file}: field RAP_annotation.{key} is missing')
        names = mat_strings(rap['imagesname'], self.ann_file, 'imagesname')
        labels = np.asarray(rap['label']).astype(np.int64)
        attrs = mat_strings(rap['attribute_eng'], self.ann_file, 'attribute_eng')
        if labels.shape != (len(names), len(attrs)):
            raise ValueError(f'{self.ann_file}: label has shape {labels.shape}, expected '
                             f'({len(names)}, {len(attrs)})')
        if 'selected_attribute' in rap.dtype.names:
            cols = np.asarray(rap['selected_attribute']).ravel().astype(np.int64) - 1
        else:
            cols = np.arange(self.num_attributes)
        self._set_attribute_names([attrs[c] for c in cols])
        labels = labels[:, cols]
        target = dict(ignore=-1, negative=0, positive=1)[self.uncertain]
        labels = np.where(labels == 2, target, labels)
        partitions = np.asarray(rap['partion']).ravel()
        if not 0 <= self.partition < len(partitions):
            raise ValueError(f'{self.ann_file}: partition {self.partition} not in '
                             f'[0, {len(partitions)})')
        part = partitions[self.partition]
        while part.dtype == object:
            part = part.ravel()[0]
        part = part.ravel()[0]
        idx = np.asarray(part[f'{self.split}_index']).ravel().astype(np.int64) - 1
        if idx.min() < 0 or idx.max() >= len(names):
            raise ValueError(f'{self.ann_file}: partion {self.partition} has an index out of '
                             f'[1, {len(names)}]')
        return [self.make_data_info(names[i], labels[i], int(i)) for i in idx]
