# Copyright (c) mmped contributors. All rights reserved.
"""Common base of the pedestrian detection benchmark datasets."""
import os.path as osp
from typing import Callable, List, Optional

from mmdet.datasets import BaseDetDataset

from mmped.registry import DATASETS


@DATASETS.register_module()
class PedestrianDetDataset(BaseDetDataset):
    """Single-class pedestrian detection dataset fed by an annotation parser.

    Subclasses set :attr:`parse` to one of the :mod:`mmped.datasets.parsers` functions; the
    parsed instance dicts are kept whole (``bbox`` xyxy, ``bbox_label``, ``ignore_flag``,
    ``height``, ``vis_ratio``, ``vis_bbox``, ``occlusion``, ``category``...), so pipelines and
    metrics can filter on them. See ``docs/det_benchmarks.md``.

    Args:
        train_filter (dict, optional): Marks pedestrians outside a range as ignored (training
            only; evaluation reads the annotation file itself): ``min_height``,
            ``max_height``, ``min_vis`` (visible fraction), ``max_occlusion``. Default: none.
        img_suffix (str): Appended to the parser's ``file_name`` (e.g. ``'.jpg'`` for Caltech
            / KAIST names without extension).
        holdout (dict, optional): Deterministic hold-out split of the parsed images, for a
            validation set taken from the training data: ``every`` (int >= 2) and ``part``
            (``'train'`` or ``'val'``). The images are sorted by ``str(img_id)``; the ones at
            positions ``0, every, 2 * every, ...`` are the ``'val'`` part and the others the
            ``'train'`` part, so the two parts of one ``ann_file`` never share an image and do
            not depend on the parser's order. Applied before ``filter_cfg``. Default: none.
        **kwargs: :class:`mmdet.datasets.BaseDetDataset` arguments (``ann_file``,
            ``data_root``, ``data_prefix=dict(img=...)``, ``filter_cfg``, ``pipeline``...).
    """

    METAINFO = dict(classes=('pedestrian', ), palette=[(220, 20, 60)])
    #: parser used by :meth:`load_data_list`; subclasses override it.
    parse: Optional[Callable] = None

    def __init__(self, *args, train_filter: Optional[dict] = None, img_suffix: str = '',
                 holdout: Optional[dict] = None, **kwargs) -> None:
        self.train_filter = dict(train_filter or {})
        unknown = set(self.train_filter) - {'min_height', 'max_height', 'min_vis', 'max_occlusion'}
        if unknown:
            raise KeyError(f'unknown train_filter keys {sorted(unknown)}')
        self.img_suffix = img_suffix
        self.holdout = _check_holdout(holdout)
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> List[dict]:
        """Run the format parser on ``ann_file`` (override for extra arguments).

        Returns:
            list[dict]: Image records.
        """
        if self.parse is None:
            raise NotImplementedError(f'{type(self).__name__} defines no parser')
        return type(self).parse(self.ann_file)

    def _filtered(self, inst: dict) -> bool:
        f = self.train_filter
        if inst['ignore_flag']:
            return False
        return ((f.get('min_height') is not None and inst['height'] < f['min_height'])
                or (f.get('max_height') is not None and inst['height'] > f['max_height'])
                or (f.get('min_vis') is not None and inst['vis_ratio'] < f['min_vis'])
                or (f.get('max_occlusion') is not None
                    and inst['occlusion'] > f['max_occlusion']))

    def load_data_list(self) -> List[dict]:
        """Parse the annotations into mmdet data infos.

        Returns:
            list[dict]: ``img_path``, ``img_id``, ``width``, ``height``, ``instances`` (and
            ``condition`` for KAIST-like records).
        """
        img_root = self.data_prefix.get('img', '') or ''
        data_list = []
        for rec in self._held_out(self.parse_annotations()):
            instances = []
            for inst in rec['instances']:
                inst = dict(inst)
                if self._filtered(inst):
                    inst['ignore_flag'] = 1
                instances.append(inst)
            info = dict(
                img_path=osp.join(img_root, rec['file_name'] + self.img_suffix),
                img_id=rec['img_id'],
                width=rec.get('width', 0),
                height=rec.get('height', 0),
                instances=instances)
            if 'condition' in rec:
                info['condition'] = rec['condition']
            data_list.append(info)
        return data_list

    def _held_out(self, records: List[dict]) -> List[dict]:
        """The ``holdout`` part of the parsed records (all of them without ``holdout``).

        Args:
            records (list[dict]): Parsed image records.

        Returns:
            list[dict]: The selected records, in their parsed order.
        """
        if self.holdout is None:
            return records
        every, want_val = self.holdout['every'], self.holdout['part'] == 'val'
        order = sorted(range(len(records)), key=lambda i: str(records[i]['img_id']))
        val = {i for rank, i in enumerate(order) if rank % every == 0}
        return [r for i, r in enumerate(records) if (i in val) == want_val]

    def filter_data(self) -> List[dict]:
        """Drop images without non-ignored boxes when ``filter_cfg.filter_empty_gt`` (training).

        Returns:
            list[dict]: The kept data infos.
        """
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        if not self.filter_cfg.get('filter_empty_gt', False):
            return self.data_list
        return [
            d for d in self.data_list
            if any(not inst['ignore_flag'] for inst in d['instances'])
        ]


def _check_holdout(holdout: Optional[dict]) -> Optional[dict]:
    """Validate a ``holdout`` option (see :class:`PedestrianDetDataset`).

    Args:
        holdout (dict, optional): ``every`` and ``part``.

    Returns:
        dict | None: The option with ``every`` as int.
    """
    if holdout is None:
        return None
    holdout = dict(holdout)
    unknown = set(holdout) - {'every', 'part'}
    if unknown or 'every' not in holdout or 'part' not in holdout:
        raise KeyError(f'holdout needs exactly the keys every, part; got {sorted(holdout)}')
    every = holdout['every']
    if isinstance(every, bool) or not isinstance(every, int) or every < 2:
        raise ValueError(f'holdout.every must be an int >= 2, got {every!r}')
    if holdout['part'] not in ('train', 'val'):
        raise ValueError(f"holdout.part must be 'train' or 'val', got {holdout['part']!r}")
    return holdout
