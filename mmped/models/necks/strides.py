# Copyright (c) mmped contributors. All rights reserved.
"""The geometry the GDFL / CA-GDFL necks read from their inputs' strides."""
from typing import Sequence, Tuple

from torch import Tensor


def image_size_from_strides(inputs: Sequence[Tensor], strides: Sequence[int]
                            ) -> Tuple[int, int]:
    """Input image size implied by multi-level features, each level checked against its stride.

    The size is the finest level's size times its stride (the most exact estimate: a level of
    stride ``s`` is ``ceil(H / s)`` or ``floor(H / s)`` tall, whatever the chain of strided
    layers before it). Every level ``k`` must then be within one cell of ``H / strides[k]`` in
    both dimensions, which catches an ``in_strides`` that does not describe the backbone.

    Args:
        inputs (Sequence[Tensor]): Features, level ``k`` of shape (N, C_k, h_k, w_k).
        strides (Sequence[int]): Stride of each level.

    Returns:
        tuple[int, int]: ``(H, W)`` of the (padded) input image.

    Raises:
        ValueError: The number of levels and strides differ, or a level's size does not match
            its stride (names the level, its size and the expected one).
    """
    if len(inputs) != len(strides):
        raise ValueError(f'{len(inputs)} neck inputs but {len(strides)} in_strides')
    finest = min(range(len(strides)), key=lambda k: strides[k])
    h, w = inputs[finest].shape[-2:]
    size = (int(h) * strides[finest], int(w) * strides[finest])
    for k, (x, s) in enumerate(zip(inputs, strides)):
        expected = (size[0] / s, size[1] / s)
        if any(abs(n - e) >= 1 for n, e in zip(x.shape[-2:], expected)):
            raise ValueError(
                f'neck input {k} is {tuple(x.shape[-2:])} but in_strides[{k}] = {s} expects '
                f'about ({expected[0]:g}, {expected[1]:g}) for the {size[0]} x {size[1]} image '
                f'implied by input {finest} (stride {strides[finest]}): check in_strides')
    return size
