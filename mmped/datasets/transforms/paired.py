# Copyright (c) mmped contributors. All rights reserved.
"""Pipeline pieces for aligned visible + thermal (lwir) image pairs.

The pair is loaded into one ``H x W x (3 + C_lwir)`` image (visible BGR first, thermal after),
so every geometric transform of mmdet (``Resize``, ``RandomFlip``, ``Pad``, ``RandomCrop``...)
keeps both modalities aligned with each other and with the boxes. Photometric transforms are
applied to one modality at a time with :class:`PerModalityTransform`. The model's data
preprocessor (:class:`mmped.models.data_preprocessors.MultiModalDetDataPreprocessor`)
normalises each modality with its own mean / std.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmdet.datasets.transforms import PackDetInputs
from mmengine import fileio

from mmped.registry import TRANSFORMS


def _read(path: str, flag: str, backend_args: Optional[dict]) -> np.ndarray:
    img_bytes = fileio.get(path, backend_args=backend_args)
    img = mmcv.imfrombytes(img_bytes, flag=flag, backend='cv2')
    if img is None:
        raise ValueError(f'cannot decode image {path}')
    return img


def stack_pair(visible: np.ndarray, lwir: np.ndarray, lwir_channels: int = 3,
               vis_name: str = 'visible', lwir_name: str = 'lwir') -> np.ndarray:
    """Stack a visible BGR image (H, W, 3) and its thermal partner into (H, W, 3 + C).

    The thermal image may be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) (alpha dropped); it is
    repeated to 3 channels or converted to gray to give ``lwir_channels`` channels.

    Args:
        visible (np.ndarray): Visible image, uint8.
        lwir (np.ndarray): Thermal image, uint8.
        lwir_channels (int): Channels of the thermal slice, 1 or 3.
        vis_name (str): Name of the visible image in error messages (its path).
        lwir_name (str): Name of the thermal image in error messages.

    Returns:
        np.ndarray: (H, W, 3 + lwir_channels) uint8.

    Raises:
        ValueError: Not 8-bit, not a 3-channel visible image, or different sizes.
    """
    if lwir.ndim == 3 and lwir.shape[2] == 4:
        lwir = lwir[..., :3]
    if lwir.ndim == 2:
        lwir = lwir[..., None]
    if lwir.dtype != np.uint8 or visible.dtype != np.uint8:
        raise ValueError(f'expected 8-bit images, got {visible.dtype} ({vis_name}) and '
                         f'{lwir.dtype} ({lwir_name})')
    if visible.ndim != 3 or visible.shape[2] != 3:
        raise ValueError(f'expected a 3-channel visible image, got shape {visible.shape} '
                         f'({vis_name})')
    if visible.shape[:2] != lwir.shape[:2]:
        raise ValueError(f'visible/lwir size mismatch: {vis_name} is '
                         f'{visible.shape[1]}x{visible.shape[0]}, {lwir_name} is '
                         f'{lwir.shape[1]}x{lwir.shape[0]}')
    if lwir_channels == 3 and lwir.shape[2] == 1:
        lwir = np.repeat(lwir, 3, axis=2)
    elif lwir_channels == 1 and lwir.shape[2] == 3:
        lwir = mmcv.bgr2gray(lwir, keepdim=True)
    return np.concatenate([visible, lwir], axis=2)


@TRANSFORMS.register_module()
class LoadPairedImageFromFile(BaseTransform):
    """Load the visible image (``img_path``) and its thermal partner (``lwir_path``).

    Required keys: ``img_path``, ``lwir_path``. Added / modified keys: ``img``
    (``H x W x (3 + lwir_channels)``, visible BGR channels first), ``img_shape``, ``ori_shape``,
    ``modality_channels`` (``(3, lwir_channels)``).

    The thermal image may be stored with 1 channel (grayscale PNG / JPEG) or as a 3-channel
    image (e.g. KAIST releases and the MBNet demo store it as RGB): with ``lwir_channels=3`` a
    1-channel image is repeated to 3 channels, with ``lwir_channels=1`` a 3-channel image is
    converted to gray.

    Args:
        lwir_channels (int): Channels of the thermal slice, 1 or 3. Defaults to 3 (so that the
            thermal VGG stream can start from ImageNet weights unchanged).
        to_float32 (bool): Convert the image to float32. Defaults to False.
        backend_args (dict, optional): File backend arguments (mmengine ``fileio``).

    Raises:
        FileNotFoundError: When either image is missing (the message names both paths).
        ValueError: When the two images differ in size (the message names both paths).
    """

    def __init__(self,
                 lwir_channels: int = 3,
                 to_float32: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        if lwir_channels not in (1, 3):
            raise ValueError(f'lwir_channels must be 1 or 3, got {lwir_channels}')
        self.lwir_channels = lwir_channels
        self.to_float32 = to_float32
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        """Load the pair.

        Args:
            results (dict): With ``img_path`` and ``lwir_path``.

        Returns:
            dict: With the stacked ``img``.
        """
        vis_path, lwir_path = results['img_path'], results.get('lwir_path')
        if lwir_path is None:
            raise KeyError(f'no lwir_path for {vis_path}: the dataset must give the thermal '
                           'partner of every visible image')
        local = self.backend_args is None or self.backend_args.get('backend') in (None, 'local')
        if local:
            missing = [p for p in (vis_path, lwir_path) if not osp.isfile(p)]
            if missing:
                raise FileNotFoundError(
                    f'missing image of the visible/lwir pair: {", ".join(missing)} '
                    f'(pair: visible={vis_path}, lwir={lwir_path})')
        visible = _read(vis_path, 'color', self.backend_args)
        lwir = _read(lwir_path, 'unchanged', self.backend_args)
        img = stack_pair(visible, lwir, self.lwir_channels, vis_path, lwir_path)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['modality_channels'] = (3, self.lwir_channels)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(lwir_channels={self.lwir_channels}, '
                f'to_float32={self.to_float32})')


@TRANSFORMS.register_module()
class LoadPairedImageFromNDArray(LoadPairedImageFromFile):
    """:class:`LoadPairedImageFromFile` for images already in memory (inference on arrays).

    Required keys: ``img`` (visible BGR (H, W, 3) uint8) and ``lwir_img`` (thermal (H, W),
    (H, W, 1) or (H, W, 3) uint8). ``img_path`` / ``lwir_path`` are set to None unless given.
    Same arguments as :class:`LoadPairedImageFromFile` (``backend_args`` is unused).
    """

    def transform(self, results: dict) -> dict:
        """Stack the in-memory pair into ``img`` (H, W, 3 + lwir_channels)."""
        if 'lwir_img' not in results:
            raise KeyError('no lwir_img: give the thermal partner array of the visible image')
        img = stack_pair(results['img'], results.pop('lwir_img'), self.lwir_channels,
                         'visible array', 'lwir array')
        if self.to_float32:
            img = img.astype(np.float32)
        results.setdefault('img_path', None)
        results.setdefault('lwir_path', None)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['modality_channels'] = (3, self.lwir_channels)
        return results


def modality_slice(modality_channels: Sequence[int], modality: int) -> Tuple[int, int]:
    """Channel range ``[start, end)`` of one modality in the stacked image.

    Args:
        modality_channels (Sequence[int]): Channels of each modality.
        modality (int): Modality index.

    Returns:
        tuple[int, int]: ``(start, end)``.
    """
    if not 0 <= modality < len(modality_channels):
        raise IndexError(f'modality {modality} out of range for {tuple(modality_channels)}')
    start = int(sum(modality_channels[:modality]))
    return start, start + int(modality_channels[modality])


@TRANSFORMS.register_module()
class PerModalityTransform(BaseTransform):
    """Apply transforms (photometric ones) to the channels of one modality only.

    The modality's channels are cut out of ``img`` (ranges from ``modality_channels``, set by
    :class:`LoadPairedImageFromFile`; default ``(3, 3)``), the wrapped transforms run on a copy
    of ``results`` holding that slice as ``img``, and the result is written back; other keys
    are not changed, so the transforms must not change the image size (use geometric
    transforms on the whole pair instead). When the wrapped transforms change the dtype (e.g.
    ``PhotoMetricDistortion`` returns float32) the whole stacked image is converted.

    Args:
        transforms (list[dict]): Transform configs.
        modality (int | str): Index, or ``'visible'`` (0) / ``'lwir'`` (1). Defaults to 0.
    """

    _NAMES = {'visible': 0, 'lwir': 1}

    def __init__(self, transforms: List[dict], modality: Union[int, str] = 0) -> None:
        if isinstance(modality, str):
            if modality not in self._NAMES:
                raise ValueError(f'unknown modality {modality!r}; use {list(self._NAMES)} or '
                                 'an index')
            modality = self._NAMES[modality]
        self.modality = int(modality)
        self.transforms = Compose(transforms)

    def transform(self, results: dict) -> Optional[dict]:
        """Run the wrapped transforms on one modality.

        Args:
            results (dict): With the stacked ``img``.

        Returns:
            dict | None: ``results`` with the modality's channels replaced (None when a wrapped
            transform drops the sample).
        """
        img = results['img']
        start, end = modality_slice(results.get('modality_channels', (3, 3)), self.modality)
        if img.ndim != 3 or img.shape[2] < end:
            raise ValueError(f'image of shape {img.shape} has no channels {start}:{end} for '
                             f'modality {self.modality}')
        sub = dict(results)
        sub['img'] = np.ascontiguousarray(img[..., start:end])
        sub = self.transforms(sub)
        if sub is None:
            return None
        out = sub['img']
        if out.ndim == 2:
            out = out[..., None]
        if out.shape != (img.shape[0], img.shape[1], end - start):
            raise ValueError(f'per-modality transforms must keep the shape {img.shape[:2]} '
                             f'x {end - start}, got {out.shape}')
        if out.dtype != img.dtype:
            img = img.astype(out.dtype)
        else:
            img = img.copy()
        img[..., start:end] = out
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(modality={self.modality}, transforms={self.transforms})'


@TRANSFORMS.register_module()
class PackPairedDetInputs(PackDetInputs):
    """:class:`PackDetInputs` that also keeps the pair's meta information.

    The stacked ``H x W x C`` image becomes a ``(C, H, W)`` tensor as usual; the default
    ``meta_keys`` add ``lwir_path``, ``condition`` (KAIST day / night) and
    ``modality_channels`` to mmdet's. A pipeline without ``Resize`` (KAIST frames used at their
    native 640 x 512) gets ``scale_factor = (1.0, 1.0)``, which mmdet's postprocessing needs.

    Args:
        meta_keys (Sequence[str]): Meta keys to pack.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_id', 'img_path', 'lwir_path', 'ori_shape',
                                             'img_shape', 'scale_factor', 'flip',
                                             'flip_direction', 'condition',
                                             'modality_channels')) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack the image, the annotations and the meta information.

        Args:
            results (dict): Pipeline results.

        Returns:
            dict: ``inputs`` (C, H, W) tensor and ``data_samples``.
        """
        results.setdefault('scale_factor', (1.0, 1.0))
        return super().transform(results)
