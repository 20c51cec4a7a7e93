# Copyright (c) mmped contributors. All rights reserved.
import torch
import torch.nn as nn
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class L2Norm(nn.Module):
    """Channel-wise L2 normalisation with a learned per-channel scale (ParseNet / SSD).

    Every spatial position's feature vector is divided by its L2 norm and multiplied by a
    learned scale initialised to ``scale`` (SSD and GDFL's zoom-in-zoom-out module use 20 and
    10), so feature maps of different magnitudes can be concatenated.

    Args:
        num_channels (int): Number of input channels C.
        scale (float): Initial value of the learned scale. Defaults to 10.0.
        eps (float): Added to the norm to avoid division by zero. Defaults to 1e-10.
    """

    def __init__(self, num_channels: int, scale: float = 10.0, eps: float = 1e-10) -> None:
        super().__init__()
        self.num_channels = num_channels
        self.eps = eps
        self.weight = nn.Parameter(torch.full((num_channels, ), float(scale)))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x``.

        Args:
            x (Tensor): Features of shape (N, C, H, W).

        Returns:
            Tensor: Features of shape (N, C, H, W) whose per-position norm equals the scale.
        """
        # compute in float32 for fp16 stability
        x_float = x.float()
        norm = x_float.pow(2).sum(1, keepdim=True).sqrt() + self.eps
        return (self.weight[None, :, None, None].float() * x_float / norm).type_as(x)
