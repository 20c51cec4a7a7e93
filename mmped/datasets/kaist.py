# Copyright (c) mmped contributors. All rights reserved.
"""KAIST multispectral pedestrian dataset (aligned visible / lwir pairs)."""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log

from mmped.registry import DATASETS

from .parsers import parse_kaist
from .pedestrian_det import PedestrianDetDataset

_FRAME_RE = re.compile(r'(set\d\d)[/_](V\d\d\d)[/_](I\d+)')


def split_kaist_name(name: str) -> Dict[str, str]:
    """``set06/V000/I00019`` -> ``dict(set='set06', video='V000', frame='I00019')``.

    Args:
        name (str): KAIST frame name (``/`` or ``_`` separated).

    Returns:
        dict: ``set``, ``video``, ``frame``.
    """
    m = _FRAME_RE.search(name)
    if m is None:
        raise ValueError(f'not a KAIST frame name (setXX/VYYY/IZZZZZ): {name!r}')
    return dict(set=m.group(1), video=m.group(2), frame=m.group(3))


@DATASETS.register_module()
class KAISTDataset(PedestrianDetDataset):
    """KAIST multispectral pedestrian benchmark (Hwang et al. CVPR'15): visible + lwir pairs.

    Annotation sets, read as distributed (:func:`mmped.datasets.parsers.parse_kaist`):
    ``ann_file`` is the root folder of a bbGt text set -- original (``setXX/VYYY/IZZZZZ.txt``),
    improved test (Liu et al. BMVC'16) or sanitized train (Li et al. BMVC'18)
    (``setXX_VYYY_IZZZZZ.txt``), paired (Zhang et al. ICCV'19,
    ``annotations_paired/setXX/VYYY/{visible,lwir}/IZZZZZ.txt``) -- or the MLPD
    ``KAIST_annotation.json`` (improved test, ``img_id`` = the json id, as the miss-rate metric
    expects). With paired annotations ``box_modality`` picks the boxes that become
    ``instances`` (trained on and evaluated: MR^R with ``'visible'``, MR^T with ``'lwir'``);
    the other modality's boxes are kept as ``paired_instances``.

    Frames without a non-ignored person are negatives and are kept (the paper trains on all
    25,086 pairs of ``train-all-02``); ``filter_cfg=dict(filter_empty_gt=True)`` drops them.
    The loader logs how many frames it keeps (:attr:`num_empty_frames` of them empty).

    Splits: ``image_set`` is a KAIST list file (``train-all-02.txt``: every 2nd frame of
    set00-05, 25,086 pairs; ``test-all-20.txt``: every 20th frame of set06-11, 2,252 pairs;
    ``test-day-20`` / ``test-night-20``), fixing frames and order; ``conditions`` keeps only
    ``'day'`` and / or ``'night'`` frames. Every data info has ``img_path`` (visible),
    ``lwir_path`` and ``condition``.

    Image paths come from ``img_template`` formatted with ``set``, ``video``, ``frame`` and
    ``modality`` (the folder name of the modality from ``modality_dirs``) under
    ``data_prefix['img']``. The default is the official layout
    ``set06/V000/visible/I00019.jpg``; the MBNet demo layout is
    ``'{set}_{video}_{frame}_{modality}.png'``. A missing or size-mismatched partner image is
    reported by :class:`mmped.datasets.transforms.LoadPairedImageFromFile` with both paths.

    Args:
        image_set (str, optional): Split list file (relative paths are under ``data_root``).
        box_modality (str): ``'visible'`` or ``'lwir'``: which boxes of a paired annotation
            set become ``instances``. Defaults to ``'visible'``.
        conditions (Sequence[str], optional): Keep only these conditions (``'day'``,
            ``'night'``). Defaults to all.
        img_template (str): Image path template. Defaults to
            ``'{set}/{video}/{modality}/{frame}.jpg'``.
        modality_dirs (dict): Modality folder / name used in the template. Defaults to
            ``dict(visible='visible', lwir='lwir')``.
        **kwargs: :class:`mmped.datasets.PedestrianDetDataset` arguments (``ann_file``,
            ``data_root``, ``data_prefix``, ``train_filter``, ``filter_cfg``, ``pipeline``...).
    """

    METAINFO = dict(classes=('pedestrian', ), palette=[(220, 20, 60)])

    def __init__(self,
                 *args,
                 image_set: Optional[str] = None,
                 box_modality: str = 'visible',
                 conditions: Optional[Sequence[str]] = None,
                 img_template: str = '{set}/{video}/{modality}/{frame}.jpg',
                 modality_dirs: Optional[dict] = None,
                 **kwargs) -> None:
        if box_modality not in ('visible', 'lwir'):
            raise ValueError(f"box_modality must be 'visible' or 'lwir', got {box_modality!r}")
        if conditions is not None:
            conditions = (conditions, ) if isinstance(conditions, str) else tuple(conditions)
            bad = set(conditions) - {'day', 'night'}
            if bad:
                raise ValueError(f"conditions must be 'day' / 'night', got {sorted(bad)}")
        self.image_set = image_set
        self.box_modality = box_modality
        self.conditions = conditions
        self.img_template = img_template
        self.modality_dirs = dict(visible='visible', lwir='lwir', **(modality_dirs or {}))
        super().__init__(*args, **kwargs)

    def _root_path(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def parse_annotations(self) -> List[dict]:
        """Parse ``ann_file`` restricted to ``image_set``.

        Returns:
            list[dict]: Image records (``instances`` from ``box_modality`` and
            ``paired_instances`` for paired annotations), filtered by ``conditions``.
        """
        records = parse_kaist(self.ann_file, self._root_path(self.image_set), self.box_modality)
        if self.conditions is not None:
            records = [r for r in records if r['condition'] in self.conditions]
        # kept for load_data_list, which adds the pair paths to the base class's infos
        self._records = records
        return records

    def filter_data(self) -> List[dict]:
        """Keep every frame (empty ones are negatives) unless ``filter_empty_gt`` is set.

        Returns:
            list[dict]: The kept data infos; the counts are logged and the number of kept
            frames without a non-ignored person is :attr:`num_empty_frames`.
        """
        kept = super().filter_data()
        self.num_empty_frames = sum(
            not any(not inst['ignore_flag'] for inst in d['instances']) for d in kept)
        if not self.test_mode:
            filt = bool((self.filter_cfg or {}).get('filter_empty_gt', False))
            print_log(f'{type(self).__name__}: {len(kept)} of {len(self.data_list)} frames kept '
                      f'from {self.image_set or self.ann_file}, {self.num_empty_frames} of them '
                      f'without a non-ignored person (filter_empty_gt={filt})', logger='current')
        return kept

    def image_paths(self, name: str) -> Dict[str, str]:
        """Visible and lwir paths of a frame.

        Args:
            name (str): Frame name such as ``set06/V000/I00019``.

        Returns:
            dict: ``img_path`` and ``lwir_path``.
        """
        parts = split_kaist_name(name)
        img_root = self.data_prefix.get('img', '') or ''
        return dict(
            img_path=osp.join(img_root, self.img_template.format(
                modality=self.modality_dirs['visible'], **parts)),
            lwir_path=osp.join(img_root, self.img_template.format(
                modality=self.modality_dirs['lwir'], **parts)))

    def load_data_list(self) -> List[dict]:
        """Data infos with ``img_path``, ``lwir_path``, ``condition`` and the instances.

        Returns:
            list[dict]: One info per frame pair (``frame`` is the KAIST frame name).
        """
        data_list = super().load_data_list()
        for info, rec in zip(data_list, self._records):
            info.update(frame=rec['file_name'], **self.image_paths(rec['file_name']))
            if 'paired_instances' in rec:
                info['paired_instances'] = rec['paired_instances']
        self._records = []
        return data_list
