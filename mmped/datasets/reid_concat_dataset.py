# Copyright (c) mmped contributors. All rights reserved.
"""Joint re-ID training / evaluation over several datasets (JSTL, Xiao et al. CVPR 2016)."""
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset, ConcatDataset

from mmped.registry import DATASETS

__all__ = ['ReIDConcatDataset']


@DATASETS.register_module()
class ReIDConcatDataset(ConcatDataset):
    """Concatenation of re-ID datasets with disjoint identity labels and a source tag.

    The training labels ``gt_label`` (0..n_i - 1 within each training split) of dataset ``i``
    are offset by the identities of datasets ``0..i-1``, so one softmax classifier over
    ``metainfo['num_ids'] = sum(n_i)`` classes sees every identity once (HP-net's JSTL
    training: "all the training samples are combined together to train a single ReID
    model"). Every sample's data sample also gets the metainfo ``source`` (the dataset's
    name), which :class:`mmped.evaluation.PerSourceMetric` uses to evaluate each test set on
    its own. Test splits (``gt_label`` = original pid) keep their labels.

    Args:
        datasets (Sequence[dict | BaseDataset]): Member datasets.
        names (Sequence[str]): Source name of each member (e.g. ``'market1501'``).
        offset_labels (bool): Offset the ``gt_label`` of training items. Defaults to True.
        lazy_init (bool): See :class:`mmengine.dataset.ConcatDataset`. Defaults to False.
    """

    def __init__(self,
                 datasets: Sequence[Union[BaseDataset, dict]],
                 names: Sequence[str],
                 offset_labels: bool = True,
                 lazy_init: bool = False,
                 ignore_keys: Optional[Union[str, List[str]]] = None) -> None:
        if len(names) != len(datasets):
            raise ValueError(f'ReIDConcatDataset: {len(names)} names for {len(datasets)} '
                             'datasets')
        if len(set(names)) != len(names):
            raise ValueError(f'ReIDConcatDataset: duplicate names {list(names)}')
        self.names = tuple(str(n) for n in names)
        self.offset_labels = offset_labels
        # members differ in num_ids / num_cams: their metainfo is not required to agree
        keys = ['num_ids', 'num_cams', 'classes', 'dataset_type', 'task_name']
        if ignore_keys:
            keys += [ignore_keys] if isinstance(ignore_keys, str) else list(ignore_keys)
        super().__init__(datasets, lazy_init=lazy_init, ignore_keys=keys)

    def full_init(self) -> None:
        """Initialise the members and compute the identity offsets."""
        if self._fully_initialized:
            return
        super().full_init()
        self.offsets, total = [], 0
        for ds in self.datasets:
            self.offsets.append(total)
            total += int(ds.metainfo.get('num_ids', 0))
        self._metainfo['num_ids'] = total
        self._metainfo['sources'] = self.names

    def _offset(self, dataset_idx: int, info: dict) -> dict:
        if self.offset_labels and info.get('split') == 'train' and 'gt_label' in info:
            info['gt_label'] = int(info['gt_label']) + self.offsets[dataset_idx]
        info['source'] = self.names[dataset_idx]
        return info

    def get_data_info(self, idx: int) -> dict:
        """Data info with the offset label and ``source``."""
        if not self._fully_initialized:
            self.full_init()
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        return self._offset(dataset_idx, self.datasets[dataset_idx].get_data_info(sample_idx))

    def __getitem__(self, idx: int):
        """The member's pipeline output on the offset data info (``source`` in metainfo)."""
        if not self._fully_initialized:
            self.full_init()
        dataset_idx, sample_idx = self._get_ori_dataset_idx(idx)
        member = self.datasets[dataset_idx]
        info = self._offset(dataset_idx, member.get_data_info(sample_idx))
        out = member.pipeline(info)
        if isinstance(out, dict) and hasattr(out.get('data_samples'), 'set_metainfo'):
            out['data_samples'].set_metainfo(dict(source=info['source']))
        return out
