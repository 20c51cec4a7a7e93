# Copyright (c) mmped contributors. All rights reserved.
"""Detection data preprocessor for stacked multi-modal (e.g. visible + thermal) images."""
from typing import Optional, Sequence

import torch
from mmdet.models.data_preprocessors import DetDataPreprocessor

from mmped.registry import MODELS


@MODELS.register_module()
class MultiModalDetDataPreprocessor(DetDataPreprocessor):
    """:class:`DetDataPreprocessor` for images whose channels stack several modalities.

    mmengine's preprocessor accepts a mean/std of 1 or 3 values only, and its ``bgr_to_rgb``
    reverses channels ``[2, 1, 0]`` of a 3-channel image (on a 6-channel image it would drop
    channels 3-5 or fail). Here every modality has its own channel slice, mean and std, and the
    BGR -> RGB reversal is applied inside each 3-channel modality listed in ``bgr_to_rgb``.
    Everything else (padding, ``batch_input_shape``, batch augmentations) is mmdet's.

    Args:
        mean (Sequence[float]): One value per input channel, e.g. 6 for visible + lwir.
        std (Sequence[float]): One value per input channel.
        modality_channels (Sequence[int]): Channels of each modality, in input order. Defaults
            to (3, 3).
        bgr_to_rgb (bool | Sequence[bool]): Reverse the channel order of each (3-channel)
            modality; one flag for all or one per modality. Defaults to False.
        **kwargs: Other :class:`DetDataPreprocessor` arguments (``pad_size_divisor``,
            ``pad_value``, ``batch_augments``...).
    """

    def __init__(self,
                 mean: Sequence[float],
                 std: Sequence[float],
                 modality_channels: Sequence[int] = (3, 3),
                 bgr_to_rgb=False,
                 **kwargs) -> None:
        for key in ('rgb_to_bgr', ):
            if kwargs.pop(key, False):
                raise ValueError(f'{key} is not supported; use bgr_to_rgb per modality')
        super().__init__(mean=None, std=None, bgr_to_rgb=False, **kwargs)
        self.modality_channels = tuple(int(c) for c in modality_channels)
        total = sum(self.modality_channels)
        if len(mean) != total or len(std) != total:
            raise ValueError(f'mean ({len(mean)}) and std ({len(std)}) need one value per input '
                             f'channel ({total} = {" + ".join(map(str, self.modality_channels))})')
        flags = ([bool(bgr_to_rgb)] * len(self.modality_channels)
                 if isinstance(bgr_to_rgb, bool) else [bool(f) for f in bgr_to_rgb])
        if len(flags) != len(self.modality_channels):
            raise ValueError(f'{len(flags)} bgr_to_rgb flags for '
                             f'{len(self.modality_channels)} modalities')
        perm, start = [], 0
        for channels, flip in zip(self.modality_channels, flags):
            if flip and channels != 3:
                raise ValueError(f'bgr_to_rgb needs a 3-channel modality, got {channels}')
            idx = list(range(start, start + channels))
            perm += idx[::-1] if flip else idx
            start += channels
        self._perm: Optional[torch.Tensor] = (
            torch.tensor(perm) if perm != list(range(total)) else None)
        self._enable_normalize = True
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
                             False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
                             False)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Reorder channels per modality, then normalise, pad and stack (mmdet's forward).

        Args:
            data (dict): ``inputs`` (list of (C, H, W) tensors or an (N, C, H, W) tensor) and
                ``data_samples``.
            training (bool): Training mode.

        Returns:
            dict: ``inputs`` of shape (N, C, H, W) and ``data_samples``.
        """
        inputs = data['inputs']
        total = sum(self.modality_channels)
        items = list(inputs) if not isinstance(inputs, torch.Tensor) else [inputs]
        for item in items:
            channels = item.shape[-3] if item.dim() >= 3 else 1
            if channels != total:
                raise ValueError(f'MultiModalDetDataPreprocessor expects {total} channels '
                                 f'(modalities {self.modality_channels}), got an input of shape '
                                 f'{tuple(item.shape)}')
        if self._perm is not None:
            if isinstance(inputs, torch.Tensor):
                inputs = inputs[:, self._perm]
            else:
                inputs = [item[self._perm] for item in inputs]
            data = dict(data, inputs=inputs)
        return super().forward(data, training)
