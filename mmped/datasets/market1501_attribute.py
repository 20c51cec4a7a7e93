# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .pedestrian_attribute_base import BaseAttributeDataset, mat_strings
from .reid_base import list_images, parse_market_name

__all__ = ['Market1501AttributeDataset', 'DukeMTMCAttributeDataset']


class _IdentityAttributeDataset(BaseAttributeDataset):
    """Identity-level attribute annotations (Lin et al., Pattern Recognition 2019).

    The ``.mat`` file holds a struct ``<STRUCT>`` with ``train`` / ``test`` structs, one row
    vector per attribute (1 = no / first value, 2 = yes / second value) and ``image_index``
    (the 4-digit pid). Labels of an identity apply to all its images, found by scanning the
    re-ID image folder and parsing pids from the file names; images of unannotated pids
    (junk, distractors) are skipped. ``ATTRIBUTES`` maps each binary output attribute to
    ``(field, positive value)``; multi-valued fields (Market's age) become one-hot columns.
    The field order differs between the train and test structs, so fields are read by name.
    """

    STRUCT = ''
    ATTRIBUTES: Tuple[Tuple[str, str, int], ...] = ()
    SPLITS = ('train', 'test')
    FOLDERS = dict(train='bounding_box_train', test='bounding_box_test')

    def __init__(self, ann_file: str, split: str = 'train', data_root: str = '',
                 data_prefix=None, **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {self.SPLITS}, got {split!r}')
        data_prefix = self.FOLDERS[split] if data_prefix is None else data_prefix
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def identity_labels(self) -> Dict[int, np.ndarray]:
        """Binary labels (A,) of every annotated pid of the split."""
        mat = sio.loadmat(self.ann_file)
        if self.STRUCT not in mat:
            raise KeyError(f'{self.ann_file}: struct {self.STRUCT!r} is missing')
        part = mat[self.STRUCT][0, 0][self.split][0, 0]
        pids = [int(s) for s in mat_strings(part['image_index'], self.ann_file, 'image_index')]
        cols = []
        for _, field, value in self.ATTRIBUTES:
            if field not in part.dtype.names:
                raise KeyError(f'{self.ann_file}: field {self.split}.{field} is missing')
            raw = np.asarray(part[field]).ravel()
            if len(raw) != len(pids):
                raise ValueError(f'{self.ann_file}: {self.split}.{field} has {len(raw)} '
                                 f'entries, image_index has {len(pids)}')
            cols.append(raw == value)
        self._set_attribute_names([a[0] for a in self.ATTRIBUTES])
        labels = np.stack(cols, 1).astype(np.int64)
        return dict(zip(pids, labels))

    def load_data_list(self) -> List[dict]:
        table = self.identity_labels()
        folder = self.data_prefix.get('img_path', '')
        data_list = []
        for name in list_images(folder):
            pid, camid = parse_market_name(osp.join(folder, name))
            if pid in table:
                data_list.append(self.make_data_info(name, table[pid], len(data_list),
                                                     pid=pid, camid=camid))
        return data_list


_COLOURS_UP = ('black', 'white', 'red', 'purple', 'yellow', 'gray', 'blue', 'green')
_COLOURS_DOWN = ('black', 'white', 'pink', 'purple', 'yellow', 'gray', 'blue', 'green', 'brown')


@DATASETS.register_module()
class Market1501AttributeDataset(_IdentityAttributeDataset):
    """Market-1501-attribute: 27 identity-level annotations -> 30 binary attributes.

    ``age`` (young / teenager / adult / old) becomes four one-hot columns; the other fields
    are binary with the second value positive (``gender`` 2 = female, ``hair`` 2 = long,
    ``up`` 2 = short sleeve, ``down`` 2 = short lower-body clothing, ``clothes`` 2 = pants).

    Args:
        ann_file (str): Defaults to ``'market_attribute.mat'``.
        split (str): ``'train'`` (751 ids) or ``'test'`` (750 ids).
        data_root (str): Market-1501 root.
        data_prefix (str, optional): Image folder; default ``bounding_box_train`` /
            ``bounding_box_test``.
    """

    STRUCT = 'market_attribute'
    ATTRIBUTES = (
        ('young', 'age', 1), ('teenager', 'age', 2), ('adult', 'age', 3), ('old', 'age', 4),
        ('backpack', 'backpack', 2), ('bag', 'bag', 2), ('handbag', 'handbag', 2),
        ('pants', 'clothes', 2), ('short_lower', 'down', 2), ('short_sleeve', 'up', 2),
        ('long_hair', 'hair', 2), ('hat', 'hat', 2), ('female', 'gender', 2),
        *((f'up_{c}', f'up{c}', 2) for c in _COLOURS_UP),
        *((f'down_{c}', f'down{c}', 2) for c in _COLOURS_DOWN))

    def __init__(self, ann_file: str = 'market_attribute.mat', **kwargs) -> None:
        super().__init__(ann_file=ann_file, **kwargs)


@DATASETS.register_module()
class DukeMTMCAttributeDataset(_IdentityAttributeDataset):
    """DukeMTMC-attribute: 23 binary identity-level attributes (second value positive:
    ``gender`` 2 = female, ``top`` 2 = long upper-body clothing, ``shoes`` 2 = light).

    Args:
        ann_file (str): Defaults to ``'duke_attribute.mat'``.
        split (str): ``'train'`` (702 ids) or ``'test'``.
        data_root (str): DukeMTMC-reID root.
        data_prefix (str, optional): Image folder; default ``bounding_box_train`` /
            ``bounding_box_test``.
    """

    STRUCT = 'duke_attribute'
    ATTRIBUTES = (
        ('backpack', 'backpack', 2), ('bag', 'bag', 2), ('handbag', 'handbag', 2),
        ('boots', 'boots', 2), ('female', 'gender', 2), ('hat', 'hat', 2),
        ('light_shoes', 'shoes', 2), ('long_top', 'top', 2),
        *((f'down_{c}', f'down{c}', 2)
          for c in ('black', 'white', 'red', 'gray', 'blue', 'green', 'brown')),
        *((f'up_{c}', f'up{c}', 2)
          for c in ('black', 'white', 'red', 'purple', 'gray', 'blue', 'green', 'brown')))

    def __init__(self, ann_file: str = 'duke_attribute.mat', **kwargs) -> None:
        super().__init__(ann_file=ann_file, **kwargs)
