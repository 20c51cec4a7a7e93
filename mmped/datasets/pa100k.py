# Copyright (c) mmped contributors. All rights reserved.
from typing import List

import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .pedestrian_attribute_base import BaseAttributeDataset, mat_strings

__all__ = ['PA100KDataset']


@DATASETS.register_module()
class PA100KDataset(BaseAttributeDataset):
    """PA-100K pedestrian attributes (Liu et al., ICCV 2017; 26 attributes, 80k/10k/10k).

    Reads the official ``annotation.mat`` (keys ``attributes``, ``{train,val,test}_images_name``
    and ``{train,val,test}_label``); every attribute is evaluated.

    Args:
        ann_file (str): Annotation file. Defaults to ``'annotation.mat'``.
        split (str): ``'train'``, ``'val'``, ``'test'`` or ``'trainval'``. Defaults to
            ``'train'``.
        data_root (str): Dataset root. Defaults to ''.
        data_prefix (str | dict): Image folder. Defaults to ``'data'`` (the layout of the
            official release unpacked as ``PA-100K/data/*.jpg``).
        **kwargs: See :class:`BaseAttributeDataset`.
    """

    def __init__(self, ann_file: str = 'annotation.mat', split: str = 'train',
                 data_root: str = '', data_prefix='data', **kwargs) -> None:
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        mat = sio.loadmat(self.ann_file)
        for key in ('attributes', 'train_images_name', 'train_label'):
            if key not in mat:
                raise KeyError(f'{self.ann_file}: field {key!r} is missing')
        self._set_attribute_names(mat_strings(mat['attributes'], self.ann_file, 'attributes'))
        parts = ('train', 'val') if self.split == 'trainval' else (self.split, )
        data_list = []
        for part in parts:
            name_key, label_key = f'{part}_images_name', f'{part}_label'
            if name_key not in mat or label_key not in mat:
                raise KeyError(f'{self.ann_file}: fields {name_key!r} / {label_key!r} are '
                               'missing')
            names = mat_strings(mat[name_key], self.ann_file, name_key)
            labels = np.asarray(mat[label_key])
            if labels.shape != (len(names), len(self._metainfo['classes'])):
                raise ValueError(f'{self.ann_file}: field {label_key!r} has shape '
                                 f'{labels.shape}, expected ({len(names)}, '
                                 f'{len(self._metainfo["classes"])})')
            data_list += [self.make_data_info(n, row, i) for i, (n, row) in
                          enumerate(zip(names, labels))]
        return data_list
