# Copyright (c) mmped contributors. All rights reserved.
"""Per-crop person masks for Da-HAR's masked-attention supervision.

Da-HAR supervises its mask branch with pseudo person masks from an off-the-shelf segmentation
network (the paper trains an FPN on COCO). mmped reads such masks from files stored alongside
the dataset and, where a file is missing or no mask folder is configured, falls back to a box
mask painted with :func:`mmped.models.task_modules.box_masks.boxes_to_mask`.
"""
import os.path as osp
from typing import Dict, Optional

import mmcv
import mmengine
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmped.models.task_modules.box_masks import boxes_to_mask
from mmped.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPersonMask(BaseTransform):
    """Load the target person's mask into ``gt_seg_map`` ((H, W) uint8, 1 = person).

    Place it after the person crop (``CropPersonBox`` for WIDER-Attribute; directly after
    loading for pre-cropped datasets such as RAP) and before any resize / crop / flip: mmcv's
    ``Resize`` and ``RandomFlip`` and mmped's :class:`RandomCornerCrop` / :class:`FiveCrop`
    keep ``gt_seg_map`` aligned with ``img``. Pack it with
    ``PackInputs(algorithm_keys=('gt_valid', 'gt_seg_map'))``; samples without it get no mask
    loss.

    Mask files: ``mask_dir`` (relative to ``data_root`` unless absolute) mirrors the image
    folder; the file name is ``name_template`` formatted with ``rel`` (image path relative to
    ``img_dir`` without extension), ``stem``, ``sample_idx`` and, when the sample has a
    ``bbox`` (x1, y1, x2, y2), its rounded corners ``x1 y1 x2 y2`` (one file per person of a
    multi-person image, as in WIDER-Attribute). ``frame='crop'``: the file covers the current
    (cropped) image and is resized to it; ``frame='image'``: it covers the whole original image
    and is cut with ``crop_bbox``. Pixels above ``threshold`` are the person (masks whose
    maximum is 1 are read as 0 / 1).

    Fallback (``fallback='box'``): the mask of the sample's ``bbox`` in the current frame (the
    whole crop when the crop is the box itself, or when the sample has no box, e.g. RAP's
    pedestrian crops); ``fallback=None`` leaves the sample without mask.

    Required keys: ``img`` (and ``img_path`` with ``mask_dir``). Optional keys: ``bbox``,
    ``crop_bbox``, ``sample_idx``. Added keys: ``gt_seg_map``, ``person_mask_source``
    (``'file'`` or ``'box'``).

    Args:
        mask_dir (str, optional): Folder of the mask files; None uses the fallback only.
        img_dir (str, optional): Image folder that ``mask_dir`` mirrors; defaults to the
            folder of ``img_path`` (i.e. flat mask folders).
        data_root (str): Root for relative ``mask_dir`` / ``img_dir``. Defaults to ''.
        name_template (str): Mask file name. Defaults to ``'{rel}.png'``.
        frame (str): ``'crop'`` or ``'image'``. Defaults to ``'crop'``.
        threshold (int): Foreground threshold of 8-bit masks. Defaults to 127.
        fallback (str, optional): ``'box'`` or None. Defaults to ``'box'``.
        missing (str): A configured mask file that does not exist: ``'fallback'`` or
            ``'error'``. Defaults to ``'fallback'``.
        backend_args (dict, optional): mmengine file backend arguments.
    """

    def __init__(self,
                 mask_dir: Optional[str] = None,
                 img_dir: Optional[str] = None,
                 data_root: str = '',
                 name_template: str = '{rel}.png',
                 frame: str = 'crop',
                 threshold: int = 127,
                 fallback: Optional[str] = 'box',
                 missing: str = 'fallback',
                 backend_args: Optional[dict] = None) -> None:
        if frame not in ('crop', 'image'):
            raise ValueError(f"frame must be 'crop' or 'image', got {frame!r}")
        if fallback not in ('box', None):
            raise ValueError(f"fallback must be 'box' or None, got {fallback!r}")
        if missing not in ('fallback', 'error'):
            raise ValueError(f"missing must be 'fallback' or 'error', got {missing!r}")
        self.mask_dir = self._join(data_root, mask_dir)
        self.img_dir = self._join(data_root, img_dir)
        self.name_template = name_template
        self.frame = frame
        self.threshold = threshold
        self.fallback = fallback
        self.missing = missing
        self.backend_args = backend_args

    @staticmethod
    def _join(root: str, path: Optional[str]) -> Optional[str]:
        return path if path is None or osp.isabs(path) else osp.join(root, path)

    def mask_path(self, results: Dict) -> str:
        """Mask file of a sample (see the class docstring for the naming rule)."""
        img_path = results['img_path']
        img_dir = self.img_dir if self.img_dir is not None else osp.dirname(img_path)
        rel = osp.splitext(osp.relpath(img_path, img_dir))[0]
        fields = dict(rel=rel, stem=osp.basename(rel), sample_idx=results.get('sample_idx'))
        if results.get('bbox') is not None:
            x1, y1, x2, y2 = np.round(np.asarray(results['bbox'], dtype=np.float64)).astype(int)
            fields.update(x1=x1, y1=y1, x2=x2, y2=y2)
        try:
            name = self.name_template.format(**fields)
        except KeyError as err:
            raise KeyError(f'{img_path}: name_template {self.name_template!r} needs field '
                           f'{err} that the sample does not have') from err
        return osp.join(self.mask_dir, name)

    def _read(self, path: str) -> np.ndarray:
        raw = mmcv.imfrombytes(mmengine.fileio.get(path, backend_args=self.backend_args),
                               flag='grayscale')
        if raw is None:
            raise ValueError(f'{path}: not a readable image (person mask)')
        return (raw > (self.threshold if raw.max() > 1 else 0)).astype(np.uint8)

    def _box_mask(self, results: Dict, img_shape) -> np.ndarray:
        box = results.get('bbox')
        if box is None:
            return np.ones(img_shape, dtype=np.uint8)
        box = torch.as_tensor(np.asarray(box, dtype=np.float32)).view(1, 4).clone()
        if results.get('crop_bbox') is not None:
            offset = torch.as_tensor(np.asarray(results['crop_bbox'][:2], dtype=np.float32))
            box -= offset.repeat(2)
        return boxes_to_mask(box, img_shape).numpy().astype(np.uint8)

    def transform(self, results: Dict) -> Dict:
        """Add ``gt_seg_map`` (and ``person_mask_source``)."""
        img_shape = results['img'].shape[:2]
        mask = None
        if self.mask_dir is not None:
            path = self.mask_path(results)
            if mmengine.fileio.exists(path, backend_args=self.backend_args):
                mask = self._read(path)
                if self.frame == 'image' and results.get('crop_bbox') is not None:
                    x1, y1, x2, y2 = np.asarray(results['crop_bbox']).astype(int)
                    mask = mask[y1:y2, x1:x2]
                if mask.shape != tuple(img_shape):
                    mask = mmcv.imresize(mask, (img_shape[1], img_shape[0]),
                                         interpolation='nearest')
                results['person_mask_source'] = 'file'
            elif self.missing == 'error':
                raise FileNotFoundError(f'{results["img_path"]}: person mask {path} not found')
        if mask is None and self.fallback == 'box':
            mask = self._box_mask(results, img_shape)
            results['person_mask_source'] = 'box'
        if mask is not None:
            results['gt_seg_map'] = mask
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mask_dir={self.mask_dir!r}, '
                f'name_template={self.name_template!r}, frame={self.frame!r}, '
                f'fallback={self.fallback!r})')
