# Copyright (c) mmped contributors. All rights reserved.
"""KAIST multispectral pedestrian dataset (aligned visible / lwir pairs)."""
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

from mmped.registry import DATASETS

from .parsers import parse_kaist_json, parse_kaist_txt_dir
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

    Annotation variants (all read with :mod:`mmped.datasets.parsers.kaist`):

    - ``ann_file`` a bbGt v3 text folder: original annotations, the improved test annotations
      (Liu et al. BMVC'16) or the sanitized train annotations (Li et al. BMVC'18);
    - ``ann_file`` the MLPD ``KAIST_annotation.json`` (improved test annotations, COCO style;
      ``img_id`` = the json id, as the miss-rate metric expects);
    - paired annotations (Zhang et al. ICCV'19, separate boxes per modality): ``ann_file`` the
      ``visible`` folder and ``paired_ann_file`` the ``lwir`` folder; ``box_modality`` picks the
      boxes that become ``instances`` (trained on and evaluated: MR^R with ``'visible'``, MR^T
      with ``'lwir'``); the other modality's boxes are kept as ``paired_instances``.

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
        paired_ann_file (str, optional): The lwir folder of the paired annotations.
        box_modality (str): ``'visible'`` or ``'lwir'``: which paired boxes become
            ``instances``. Defaults to ``'visible'``.
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
                 paired_ann_file: Optional[str] = None,
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
        self.paired_ann_file = paired_ann_file
        self.box_modality = box_modality
        self.conditions = conditions
        self.img_template = img_template
        self.modality_dirs = dict(visible='visible', lwir='lwir', **(modality_dirs or {}))
        super().__init__(*args, **kwargs)

    def _root_path(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    def _parse(self, path: str, image_set: Optional[str]) -> List[dict]:
        if osp.isdir(path):
            return parse_kaist_txt_dir(path, image_set)
        records = parse_kaist_json(path)
        if image_set is None:
            return records
        by_name = {r['file_name']: r for r in records}
        with open(image_set) as f:
            names = [ln.strip() for ln in f if ln.strip()]
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ValueError(f'{image_set}: frame {missing[0]!r} ({len(missing)} in all) has no '
                             f'annotation in {path}')
        return [by_name[n] for n in names]

    def parse_annotations(self) -> List[dict]:
        """Parse ``ann_file`` (and ``paired_ann_file``) restricted to ``image_set``.

        Returns:
            list[dict]: Image records (``instances`` from ``box_modality``, ``paired_instances``
            from the other modality for paired annotations), filtered by ``conditions``.
        """
        image_set = self._root_path(self.image_set)
        records = self._parse(self.ann_file, image_set)
        if self.paired_ann_file is not None:
            paired_path = self._root_path(self.paired_ann_file)
            lwir = {r['file_name']: r for r in self._parse(paired_path, image_set)}
            for rec in records:
                other = lwir.get(rec['file_name'])
                if other is None:
                    raise ValueError(f'{paired_path}: no lwir annotation for frame '
                                     f'{rec["file_name"]!r} of {self.ann_file}')
                if self.box_modality == 'lwir':
                    rec['instances'], rec['paired_instances'] = (other['instances'],
                                                                 rec['instances'])
                else:
                    rec['paired_instances'] = other['instances']
        if self.conditions is not None:
            records = [r for r in records if r['condition'] in self.conditions]
        # kept for load_data_list, which adds the pair paths to the base class's infos
        self._records = records
        return records

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
