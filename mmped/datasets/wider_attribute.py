# Copyright (c) mmped contributors. All rights reserved.
import posixpath
from typing import Dict, List, Optional, Tuple

import mmengine
import numpy as np
from mmcv.transforms import BaseTransform

from mmped.registry import DATASETS, TRANSFORMS

from .pedestrian_attribute_base import BaseAttributeDataset

__all__ = ['WIDERAttributeDataset', 'CropPersonBox']

WIDER_ATTRIBUTES = ('Male', 'longHair', 'sunglass', 'Hat', 'Tshiirt', 'longSleeve', 'formal',
                    'shorts', 'jeans', 'longPants', 'skirt', 'faceMask', 'logo', 'stripe')


@DATASETS.register_module()
class WIDERAttributeDataset(BaseAttributeDataset):
    """WIDER-Attribute (Li et al., ECCV 2016): 14 attributes of people in 30 scene classes.

    One sample per annotated person. The JSON files (``wider_attribute_{trainval,test}.json``)
    hold ``images: [{file_name, scene_id, targets: [{attribute: [14 x {1, -1, 0}],
    bbox: [x, y, w, h]}]}]`` and optionally ``attribute_id_map`` / ``scene_id_map``. Labels:
    1 -> positive, -1 -> negative, 0 (unspecified) -> ``gt_valid`` False (ignored by the loss
    and by :class:`WIDERAttributeMetric`). Each data info also holds ``bbox`` (float32 (4,)
    x1, y1, x2, y2 in image pixels), ``scene_id``, ``img_idx`` (index of the image in the
    file) and ``target_idx`` (index of the person in the image's ``targets``, counted before
    ``min_size`` filtering, so per-crop files such as person masks can be named by image and
    target index); :class:`CropPersonBox` cuts the crop.

    Splits: ``wider_attribute_trainval.json`` holds the official train and val images, whose
    ``file_name`` starts with the image sub-folder (``train/...``, ``val/...``; the test file
    ``test/...``). ``split='trainval'`` or ``'test'`` loads every image of ``ann_file``;
    ``split='train'`` or ``'val'`` keeps the images whose first ``file_name`` component is
    ``subset_dirs[split]``. Da-HAR (AAAI 2020) trains on the train split only for its
    comparison (Table 1, as the methods it compares with) and adds val in the last row of its
    ablation (Table 3): ``split='train'`` vs ``split='trainval'`` on the trainval file.

    Args:
        ann_file (str): JSON annotation file.
        split (str): ``'train'``, ``'val'``, ``'trainval'`` or ``'test'`` (see above).
            Defaults to ``'trainval'``.
        data_root (str): Dataset root.
        data_prefix (str | dict): Image folder (``file_name`` is relative to it). Defaults to
            ``'Image'``.
        min_size (float): Persons whose box side is below this are skipped. Defaults to 1.
        subset_dirs (dict, optional): First ``file_name`` component of the ``'train'`` and
            ``'val'`` images. Defaults to ``dict(train='train', val='val')``.
        **kwargs: See :class:`BaseAttributeDataset`.
    """

    SPLITS = ('train', 'val', 'trainval', 'test')

    def __init__(self, ann_file: str = 'wider_attribute_trainval.json', split: str = 'trainval',
                 data_root: str = '', data_prefix='Image', min_size: float = 1.0,
                 subset_dirs: Optional[Dict[str, str]] = None, **kwargs) -> None:
        self.min_size = min_size
        self.subset_dirs = {**dict(train='train', val='val'), **(subset_dirs or {})}
        super().__init__(ann_file=ann_file, split=split, data_root=data_root,
                         data_prefix=data_prefix, **kwargs)

    def _images_of_split(self, images: List[dict]) -> List[Tuple[int, dict]]:
        """``(index in the file, image)`` of the images that belong to ``self.split``."""
        indexed = list(enumerate(images))
        if self.split not in ('train', 'val'):
            return indexed
        folder = self.subset_dirs[self.split]
        for i, img in indexed:
            if not isinstance(img.get('file_name'), str):
                raise ValueError(f'{self.ann_file}: image {i}: field "file_name" must be a '
                                 f'string, got {img.get("file_name")!r}')
        keep = [(i, img) for i, img in indexed
                if posixpath.normpath(img['file_name'].replace('\\', '/')).split('/')[0] == folder]
        if not keep:
            raise ValueError(f'{self.ann_file}: split={self.split!r} keeps the images whose '
                             f'file_name starts with {folder!r}/, but none does (e.g. '
                             f'{images[0].get("file_name") if images else None!r}); use '
                             "split='trainval' or set subset_dirs")
        return keep

    def load_data_list(self) -> List[dict]:
        ann = mmengine.load(self.ann_file)
        if 'images' not in ann:
            raise KeyError(f'{self.ann_file}: field {"images"!r} is missing')
        id_map = ann.get('attribute_id_map')
        names = ([id_map[str(i)] for i in range(len(id_map))] if id_map
                 else list(WIDER_ATTRIBUTES))
        self._set_attribute_names(names)
        scene_map = ann.get('scene_id_map')
        if scene_map:
            self._metainfo['scenes'] = tuple(scene_map[str(i)] for i in range(len(scene_map)))
        data_list = []
        for i, img in self._images_of_split(ann['images']):
            for t, target in enumerate(img.get('targets', [])):
                where = f'image {i} ({img.get("file_name")}), target {t}'
                attr = np.asarray(target.get('attribute', []))
                if attr.shape != (len(names), ) or not np.isin(attr, (-1, 0, 1)).all():
                    raise ValueError(f'{self.ann_file}: {where}: field "attribute" must hold '
                                     f'{len(names)} values in {{1, -1, 0}}, got {attr.tolist()}')
                box = np.asarray(target.get('bbox', []), dtype=np.float32)
                if box.shape != (4, ):
                    raise ValueError(f'{self.ann_file}: {where}: field "bbox" must be '
                                     f'[x, y, w, h], got {target.get("bbox")}')
                if min(box[2], box[3]) < self.min_size:
                    continue
                labels = np.select([attr == 1, attr == -1], [1, 0], default=-1)
                data_list.append(
                    self.make_data_info(
                        img['file_name'], labels, i,
                        bbox=np.r_[box[:2], box[:2] + box[2:]].astype(np.float32),
                        scene_id=int(img.get('scene_id', -1)), img_idx=i, target_idx=t))
        return data_list


@TRANSFORMS.register_module()
class CropPersonBox(BaseTransform):
    """Crop ``img`` to the person box ``bbox`` (x1, y1, x2, y2) of the data info.

    Required keys: ``img``, ``bbox``. Modified keys: ``img``, ``img_shape``. Added key:
    ``crop_bbox`` (the integer crop actually taken).

    Args:
        expand_ratio (float): The box is scaled about its centre by ``1 + expand_ratio``
            before cropping (0 = the annotated box). Defaults to 0.
        key (str): Data-info key of the box. Defaults to ``'bbox'``.
        min_size (int): Smallest crop side in pixels. Defaults to 1.
    """

    def __init__(self, expand_ratio: float = 0.0, key: str = 'bbox', min_size: int = 1,
                 **kwargs) -> None:
        self.expand_ratio = expand_ratio
        self.key = key
        self.min_size = min_size

    def transform(self, results: dict) -> Optional[dict]:
        img = results['img']
        h, w = img.shape[:2]
        x1, y1, x2, y2 = np.asarray(results[self.key], dtype=np.float64)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        s = 1.0 + self.expand_ratio
        bw, bh = max((x2 - x1) * s, self.min_size), max((y2 - y1) * s, self.min_size)
        box = np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
        box = np.round(box).astype(np.int64)
        box[0::2] = np.clip(box[0::2], 0, w)
        box[1::2] = np.clip(box[1::2], 0, h)
        if box[2] - box[0] < self.min_size or box[3] - box[1] < self.min_size:
            raise ValueError(f'{results.get("img_path")}: box {results[self.key]} lies '
                             f'outside the {w}x{h} image')
        results['img'] = img[box[1]:box[3], box[0]:box[2]]
        results['img_shape'] = results['img'].shape[:2]
        results['crop_bbox'] = box
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(expand_ratio={self.expand_ratio}, key={self.key!r})'
