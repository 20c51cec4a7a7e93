# Copyright (c) mmped contributors. All rights reserved.
"""Conversions shared by the metrics."""
from typing import Any, Optional

import numpy as np
import torch


def to_numpy(value: Any, dtype: Optional[np.dtype] = None) -> np.ndarray:
    """A prediction or annotation field as a numpy array.

    Accepts tensors (any device), mmdet box structures (``HorizontalBoxes`` and the other
    ``BaseBoxes``, through their ``tensor``), numpy arrays and sequences.

    Args:
        value (Any): The field, e.g. ``pred_instances.bboxes`` (N, 4).
        dtype (np.dtype, optional): Cast to this type; default: keep the input's type.

    Returns:
        np.ndarray: The values, same shape as the input.
    """
    value = getattr(value, 'tensor', value)  # mmdet BaseBoxes keep their boxes in .tensor
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=dtype)
