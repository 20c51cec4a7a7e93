# Copyright (c) mmped contributors. All rights reserved.
"""Corner / centre crops of attribute-recognition inputs (SRN and Da-HAR protocol).

Training (SRN, Zhu et al. CVPR 2017; Da-HAR, Wu et al. AAAI 2020): resize to 256 x 256, crop at
one of the four corners or the centre with width and height drawn from {256, 224, 192, 168, 128},
resize the crop to 224 x 224 (RAP keeps h / w = 2). Test: the resized image, or the average
over the five 224 crops (:class:`FiveCrop` inside mmcv's ``TestTimeAug``).

Both transforms crop ``img`` and, when present, the person mask ``gt_seg_map`` (an ``(H, W)``
uint8 map, 1 = target person; see :mod:`mmped.datasets.transforms.person_mask`), so masks stay
aligned with the crop. mmcv's ``Resize`` and ``RandomFlip`` already handle ``gt_seg_map``.
"""
import itertools
from typing import Dict, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmped.registry import TRANSFORMS

CROP_POSITIONS = ('top_left', 'top_right', 'bottom_left', 'bottom_right', 'centre')


def corner_crop_box(img_shape: Tuple[int, int], crop_shape: Tuple[int, int],
                    position: str) -> Tuple[int, int, int, int]:
    """Box of a corner or centre crop.

    Args:
        img_shape (tuple[int, int]): Image ``(H, W)``.
        crop_shape (tuple[int, int]): Crop ``(h, w)``, clipped to the image.
        position (str): One of :data:`CROP_POSITIONS`.

    Returns:
        tuple[int, int, int, int]: ``(x1, y1, x2, y2)`` in pixels (x2 / y2 exclusive).
    """
    img_h, img_w = img_shape
    crop_h, crop_w = min(int(crop_shape[0]), img_h), min(int(crop_shape[1]), img_w)
    if position not in CROP_POSITIONS:
        raise ValueError(f'position must be one of {CROP_POSITIONS}, got {position!r}')
    if position == 'centre':
        y1, x1 = (img_h - crop_h) // 2, (img_w - crop_w) // 2
    else:
        y1 = 0 if position.startswith('top') else img_h - crop_h
        x1 = 0 if position.endswith('left') else img_w - crop_w
    return x1, y1, x1 + crop_w, y1 + crop_h


def crop_and_resize(results: Dict, box: Tuple[int, int, int, int],
                    scale: Optional[Tuple[int, int]], interpolation: str = 'bilinear') -> Dict:
    """Crop ``img`` (and ``gt_seg_map``) to ``box`` and optionally resize to ``scale``.

    Args:
        results (dict): Transform results with ``img`` (H, W, C) and optional ``gt_seg_map``.
        box (tuple[int, int, int, int]): ``(x1, y1, x2, y2)`` crop box.
        scale (tuple[int, int], optional): Output ``(w, h)``; None keeps the crop size.
        interpolation (str): Image interpolation (masks always use nearest).

    Returns:
        dict: ``results`` with ``img``, ``img_shape``, ``crop_bbox`` (and ``gt_seg_map``)
        updated.
    """
    x1, y1, x2, y2 = box
    img = results['img'][y1:y2, x1:x2]
    if scale is not None:
        img = mmcv.imresize(img, tuple(scale), interpolation=interpolation)
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    results['crop_bbox'] = np.array(box, dtype=np.float32)
    seg = results.get('gt_seg_map', None)
    if seg is not None:
        seg = seg[y1:y2, x1:x2]
        if scale is not None:
            seg = mmcv.imresize(seg, tuple(scale), interpolation='nearest')
        results['gt_seg_map'] = seg
    return results


def _pair(size: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) != 2 or min(pair) <= 0:
        raise ValueError(f'{name} must be a positive int or a (w, h) pair, got {size}')
    return int(pair[0]), int(pair[1])


@TRANSFORMS.register_module()
class RandomCornerCrop(BaseTransform):
    """Multi-scale corner / centre crop, resized to a fixed size (SRN / Da-HAR training).

    A crop height is drawn from ``crop_sizes`` and, independently, a crop width from
    ``crop_sizes / aspect_ratio`` (the paper: "the cropping width and height randomly chosen
    from the set"); ``max_distort`` optionally bounds the index distance between the two draws
    (TSN's rule; 0 keeps the crop's h / w equal to ``aspect_ratio``). The crop sits at a
    uniformly drawn position among ``positions`` and is resized to ``scale``. Sizes larger than
    the image are clipped to it.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, ``gt_seg_map`` (optional).
    Added keys: ``crop_bbox``.

    Args:
        crop_sizes (Sequence[int]): Candidate crop heights in pixels. Defaults to
            ``(256, 224, 192, 168, 128)``.
        scale (int | tuple[int, int]): Output ``(w, h)``. Defaults to 224.
        aspect_ratio (float): Height / width of the candidate crops (2 for RAP's
            pedestrian crops). Defaults to 1.
        max_distort (int, optional): Largest allowed index difference between the drawn height
            and width; None = independent draws. Defaults to None.
        positions (Sequence[str]): Allowed positions. Defaults to all of
            :data:`CROP_POSITIONS`.
        interpolation (str): Resize interpolation of the image. Defaults to ``'bilinear'``.
    """

    def __init__(self,
                 crop_sizes: Sequence[int] = (256, 224, 192, 168, 128),
                 scale: Union[int, Sequence[int]] = 224,
                 aspect_ratio: float = 1.0,
                 max_distort: Optional[int] = None,
                 positions: Sequence[str] = CROP_POSITIONS,
                 interpolation: str = 'bilinear') -> None:
        if not crop_sizes or min(crop_sizes) <= 0:
            raise ValueError(f'crop_sizes must be positive, got {crop_sizes}')
        if aspect_ratio <= 0:
            raise ValueError(f'aspect_ratio must be positive, got {aspect_ratio}')
        bad = set(positions) - set(CROP_POSITIONS)
        if bad or not positions:
            raise ValueError(f'positions must be a non-empty subset of {CROP_POSITIONS}')
        self.crop_sizes = tuple(int(s) for s in crop_sizes)
        self.scale = _pair(scale, 'scale')
        self.aspect_ratio = float(aspect_ratio)
        self.max_distort = max_distort
        self.positions = tuple(positions)
        self.interpolation = interpolation
        n = len(self.crop_sizes)
        self.index_pairs = [(i, j) for i, j in itertools.product(range(n), range(n))
                            if max_distort is None or abs(i - j) <= max_distort]

    def _sample(self) -> Tuple[Tuple[int, int], str]:
        i, j = self.index_pairs[np.random.randint(len(self.index_pairs))]
        crop_h = self.crop_sizes[i]
        crop_w = max(1, int(round(self.crop_sizes[j] / self.aspect_ratio)))
        return (crop_h, crop_w), self.positions[np.random.randint(len(self.positions))]

    def transform(self, results: Dict) -> Dict:
        """Crop and resize ``results['img']`` (and its person mask)."""
        crop_shape, position = self._sample()
        box = corner_crop_box(results['img'].shape[:2], crop_shape, position)
        return crop_and_resize(results, box, self.scale, self.interpolation)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_sizes={self.crop_sizes}, scale={self.scale}, '
                f'aspect_ratio={self.aspect_ratio}, max_distort={self.max_distort}, '
                f'positions={self.positions})')


@TRANSFORMS.register_module()
class FiveCrop(BaseTransform):
    """One of the five test crops (four corners and centre), for five-crop averaging.

    Use five of them inside mmcv's ``TestTimeAug`` (``index`` 0..4) with an averaging TTA model
    (``mmpretrain.AverageClsScoreTTA``); ``mim test ... --tta`` then reports the five-crop
    average of the paper.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``, ``gt_seg_map`` (optional).
    Added keys: ``crop_bbox``, ``crop_position``.

    Args:
        crop_size (int | tuple[int, int]): Crop ``(w, h)``. Defaults to 224.
        index (int | str): Crop index into :data:`CROP_POSITIONS` or its name.
        scale (int | tuple[int, int], optional): Resize the crop to ``(w, h)``; None keeps it.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]] = 224,
                 index: Union[int, str] = 4,
                 scale: Optional[Union[int, Sequence[int]]] = None) -> None:
        self.crop_size = _pair(crop_size, 'crop_size')
        if isinstance(index, str):
            if index not in CROP_POSITIONS:
                raise ValueError(f'index must be one of {CROP_POSITIONS} or 0..4, got {index!r}')
            index = CROP_POSITIONS.index(index)
        if not 0 <= int(index) < len(CROP_POSITIONS):
            raise ValueError(f'index must be in 0..4, got {index}')
        self.index = int(index)
        self.scale = None if scale is None else _pair(scale, 'scale')

    def transform(self, results: Dict) -> Dict:
        """Take the ``index``-th of the five crops."""
        position = CROP_POSITIONS[self.index]
        box = corner_crop_box(results['img'].shape[:2], self.crop_size[::-1], position)
        results = crop_and_resize(results, box, self.scale)
        results['crop_position'] = position
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, index={self.index}, '
                f'scale={self.scale})')
