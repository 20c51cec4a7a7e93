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
        split (str): ``'trainval'`` (the partition's whole ``train_index``), ``'train'`` and
            ``'val'`` (a seeded hold-out of ``val_fraction`` of ``train_index`` and the rest:
            RAP has no official validation set, so checkpoints are selected on this hold-out,
            never on the test set) or ``'test'`` (``test_index``).
        partition (int): Partition 0-4. Defaults to 0.
        val_fraction (float): Share of ``train_index`` held out as ``'val'`` (at least one
            image). Defaults to 0.1.
        holdout_seed (int): Seed of the hold-out permutation. Defaults to 0.
        uncertain (str): How label 2 is treated: ``'ignore'`` (``gt_valid`` False: no loss, not
            evaluated; the protocol's "weight 0"), ``'negative'`` or ``'positive'``.
        num_attributes (int): Evaluated attributes when ``selected_attribute`` is absent.
        data_root (str): Dataset root.
        data_prefix (str | dict): Image folder. Defaults to ``'RAP_dataset'``.
        **kwargs: See :class:`BaseAttributeDataset`.
    """

    SPLITS = ('train', 'val', 'trainval', 'test')

    def __init__(self, ann_file: str = 'RAP_annotation.mat', split: str = 'train',
                 partition: int = 0, uncertain: str = 'ignore', num_attributes: int = 51,
                 data_root: str = '', data_prefix='RAP_dataset', val_fraction: float = 0.1,
                 holdout_seed: int = 0, **kwargs) -> None:
        if not 0 < val_fraction < 1:
            raise ValueError(f'val_fraction must lie in (0, 1), got {val_fraction}')
        self.val_fraction, self.holdout_seed = val_fraction, holdout_seed
        if uncertain not in ('ignore', 'negative', 'positive'):
            raise ValueError("uncertain must be 'ignore', 'negative' or 'positive', got "
                             f'{uncertain!r}')
        self.partition = partition
        self.uncertain = uncertain
        self.num_attributes = num_attributes
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def holdout(self, train_index: np.ndarray) -> dict:
        """Seeded split of the partition's training indices into ``'train'`` and ``'val'``.

        Args:
            train_index (np.ndarray): 0-based image indices of the partition's training set.

        Returns:
            dict: ``'train'`` and ``'val'`` index arrays (sorted, disjoint, covering the input).
        """
        if len(train_index) < 2:
            raise ValueError(f'{self.ann_file}: partition {self.partition} has '
                             f'{len(train_index)} training images, too few for a hold-out')
        num_val = min(max(1, int(round(self.val_fraction * len(train_index)))),
                      len(train_index) - 1)
        perm = np.random.default_rng(self.holdout_seed).permutation(len(train_index))
        return dict(train=np.sort(train_index[perm[num_val:]]),
                    val=np.sort(train_index[perm[:num_val]]))

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
        key = 'test_index' if self.split == 'test' else 'train_index'
        idx = np.asarray(part[key]).ravel().astype(np.int64) - 1
        if idx.min() < 0 or idx.max() >= len(names):
            raise ValueError(f'{self.ann_file}: partion {self.partition} has an index out of '
                             f'[1, {len(names)}]')
        if self.split in ('train', 'val'):
            idx = self.holdout(idx)[self.split]
        return [self.make_data_info(names[i], labels[i], int(i)) for i in idx]
