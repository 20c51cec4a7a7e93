# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

__all__ = ['BaseAttributeDataset', 'mat_strings', 'dataset_positive_ratio']


def mat_strings(cells: np.ndarray, ann_file: str, field: str) -> List[str]:
    """Strings of a MATLAB cell array loaded by ``scipy.io.loadmat``.

    Args:
        cells (np.ndarray): Object array of cells, any shape (read in C order).
        ann_file (str): File name, for error messages.
        field (str): Field name, for error messages.

    Returns:
        list[str]: One string per cell.

    Raises:
        ValueError: When a cell is empty or not a string (names the record and field).
    """
    out = []
    for i, cell in enumerate(np.asarray(cells).ravel()):
        value = cell
        while isinstance(value, np.ndarray) and value.dtype == object and value.size == 1:
            value = value.ravel()[0]
        if isinstance(value, np.ndarray) and value.dtype.kind == 'U' and value.size == 1:
            value = str(value.ravel()[0])
        if not isinstance(value, str) or not value:
            raise ValueError(f'{ann_file}: record {i} of field {field!r} is not a non-empty '
                             f'string (got {cell!r})')
        out.append(value)
    return out


class BaseAttributeDataset(BaseDataset):
    """Base class of multi-label pedestrian attribute datasets.

    Subclasses implement :meth:`load_data_list` with :meth:`make_data_info`. Every data info
    holds ``img_path``, ``gt_score`` (float32 (A,) in {0, 1}) and ``gt_valid`` (bool (A,), False
    for unspecified / uncertain labels), see docs/attributes.md. The evaluated attribute names
    are set as metainfo ``classes`` (mmpretrain's key) and ``attributes``.

    Args:
        ann_file (str): Annotation file (relative to ``data_root`` unless absolute).
        split (str): Subset name, checked against ``SPLITS``.
        data_root (str): Dataset root. Defaults to ''.
        data_prefix (str | dict): Image folder (relative to ``data_root``).
        **kwargs: Passed to :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ``metainfo``...).
    """

    SPLITS: Sequence[str] = ('train', 'val', 'test', 'trainval')

    def __init__(self, ann_file: str, split: str = 'train', data_root: str = '',
                 data_prefix='', **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of {self.SPLITS}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def _set_attribute_names(self, names: Sequence[str]) -> None:
        names = tuple(str(n) for n in names)
        self._metainfo['classes'] = names
        self._metainfo['attributes'] = names

    def img_file(self, name: str) -> str:
        """Absolute image path of ``name`` under the image prefix."""
        return osp.join(self.data_prefix.get('img_path', ''), name)

    def make_data_info(self, img_name: str, labels: np.ndarray, record: int,
                       **extra) -> dict:
        """One data info from a label row.

        Args:
            img_name (str): Image file name relative to the image prefix.
            labels (np.ndarray): Labels (A,): 1 present, 0 absent, -1 ignored.
            record (int): Record index, for error messages.
            **extra: Extra fields copied into the data info.

        Returns:
            dict: ``img_path``, ``gt_score``, ``gt_valid`` and ``extra``.
        """
        labels = np.asarray(labels).astype(np.int64)
        bad = (labels != 1) & (labels != 0) & (labels != -1)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise ValueError(f'{self.ann_file}: record {record} ({img_name}) has label '
                             f'{labels[j]} for attribute {j}')
        return dict(img_path=self.img_file(img_name),
                    gt_score=(labels == 1).astype(np.float32),
                    gt_valid=labels >= 0,
                    **extra)

    def get_gt_matrix(self) -> np.ndarray:
        """Labels of the loaded items, shape (N, A): 1, 0, or -1 for ignored entries."""
        rows = []
        for i in range(len(self)):
            info = self.get_data_info(i)
            row = info['gt_score'].astype(np.int64)
            row[~info['gt_valid']] = -1
            rows.append(row)
        return np.stack(rows) if rows else np.zeros((0, len(self.metainfo['classes'])))

    def positive_counts(self):
        """Positive and valid label counts of every attribute over the loaded split.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``(positives, valid)``, each (A,), int64.
        """
        gt = self.get_gt_matrix()
        return (gt == 1).sum(0).astype(np.int64), (gt >= 0).sum(0).astype(np.int64)

    def positive_ratio(self, eps: Optional[float] = None) -> np.ndarray:
        """Positive ratio of every attribute over the valid labels of the loaded split.

        Args:
            eps (float, optional): When given, the ratio is clipped to ``[eps, 1 - eps]``.

        Returns:
            np.ndarray: Ratios, shape (A,), float64.
        """
        pos, valid = self.positive_counts()
        ratio = pos / np.maximum(valid, 1)
        return ratio if eps is None else np.clip(ratio, eps, 1 - eps)


def dataset_positive_ratio(dataset) -> np.ndarray:
    """Exact positive ratio per attribute of a (possibly wrapped) attribute dataset.

    Concatenations (``datasets``) pool the counts of their members; wrappers holding one
    ``dataset`` (``RepeatDataset``, ``ClassBalancedDataset``) use the wrapped dataset's.

    Args:
        dataset: A dataset with ``positive_counts()`` or a wrapper of such datasets.

    Returns:
        np.ndarray: Ratios, shape (A,), float64.

    Raises:
        TypeError: When no member provides ``positive_counts``.
    """

    def counts(ds):
        if hasattr(ds, 'full_init'):
            ds.full_init()
        if hasattr(ds, 'positive_counts'):
            return ds.positive_counts()
        if hasattr(ds, 'datasets'):
            parts = [counts(d) for d in ds.datasets]
            return sum(p for p, _ in parts), sum(v for _, v in parts)
        if hasattr(ds, 'dataset'):
            return counts(ds.dataset)
        raise TypeError(f'{type(ds).__name__} has no attribute labels (positive_counts); '
                        'the positive ratio needs an attribute dataset')

    pos, valid = counts(dataset)
    return pos / np.maximum(valid, 1)
