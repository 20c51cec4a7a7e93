# Copyright (c) mmped contributors. All rights reserved.
"""VGG16 streams, one per modality, joined by cross-modal feature learning after each stage."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule, ModuleDict
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

from mmped.registry import MODELS

# torchvision ``vgg16().features`` index of every conv layer, stage by stage
_TORCHVISION_VGG16_CONVS = ((0, 2), (5, 7), (10, 12, 14), (17, 19, 21), (24, 26, 28))


@MODELS.register_module()
class TwoStreamVGG(BaseModule):
    """One VGG16 conv1..conv5 stream per modality, with optional CFL modules between stages.

    The input stacks the modalities along channels, ``(N, sum(in_channels), H, W)`` (e.g. the
    HxWx6 visible+lwir image of :class:`mmped.datasets.transforms.LoadPairedImageFromFile`); it is
    split into ``M`` slices, each through its own stream. After stage ``i`` (conv_i block, before
    its pooling) listed in ``cfl_stages``, a :class:`CrossModalFeatureLearning` module refines the
    ``M`` feature maps jointly (DCRL-PDN, Fig. 1). Pooling after conv1..conv4 (not conv5) gives
    the stride-16 conv5 maps of Faster R-CNN VGG16.

    With ``in_channels=(3, )`` and ``cfl=None`` it is the single-stream VGG16 of the RGB-only
    student (DCRD-PDN).

    Args:
        in_channels (Sequence[int]): Input channels of each modality. Defaults to (3, 3).
        widths (Sequence[int]): Channels of the 5 stages. Defaults to VGG16's
            (64, 128, 256, 512, 512).
        num_convs (Sequence[int]): 3x3 convs per stage. Defaults to VGG16's (2, 2, 3, 3, 3).
        cfl (dict, optional): Config of the CFL module (``type``, ``alpha``, ``groups``,
            ``aggregation``...; ``channels`` and ``num_modalities`` are filled in). ``None``:
            plain independent streams (the "w/o CFL" setting of Fig. 6).
        cfl_stages (Sequence[int]): 1-based stages followed by a CFL module. Defaults to
            (1, 2, 3, 4, 5).
        frozen_stages (int): Number of leading stages (and their CFL) whose parameters are
            frozen. Defaults to 0.
        pretrained (str, optional): Path of a torchvision ``vgg16`` state dict (``features.*``
            keys); loaded into every stream by :meth:`init_weights` (ImageNet initialisation of
            conv1-5 in the paper). Streams with ``in_channels != 3`` get the channel mean of the
            conv1_1 kernel repeated over their channels.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (3, 3),
                 widths: Sequence[int] = (64, 128, 256, 512, 512),
                 num_convs: Sequence[int] = (2, 2, 3, 3, 3),
                 cfl: Optional[dict] = dict(
                     type='mmped.CrossModalFeatureLearning', alpha=0.5, groups=2),
                 cfl_stages: Sequence[int] = (1, 2, 3, 4, 5),
                 frozen_stages: int = 0,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d', nonlinearity='relu')) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(widths) != 5 or len(num_convs) != 5:
            raise ValueError('widths and num_convs need 5 entries (conv1..conv5)')
        self.in_channels = tuple(int(c) for c in in_channels)
        self.num_modalities = len(self.in_channels)
        self.widths = tuple(widths)
        self.num_convs = tuple(num_convs)
        self.frozen_stages = frozen_stages
        self.pretrained = pretrained
        self.out_channels = self.widths[-1]
        self.streams = nn.ModuleList()
        for c_in in self.in_channels:
            stages = nn.ModuleList()
            for width, n in zip(self.widths, self.num_convs):
                layers = []
                for _ in range(n):
                    layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(inplace=True)]
                    c_in = width
                stages.append(nn.Sequential(*layers))
            self.streams.append(stages)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.cfl_stages = tuple(cfl_stages) if cfl is not None else ()
        if any(not 1 <= s <= 5 for s in self.cfl_stages):
            raise ValueError(f'cfl_stages must be in 1..5, got {cfl_stages}')
        # mmengine's ModuleDict, so that init_weights reaches each CFL's own init_cfg
        self.cfls = ModuleDict()
        for s in self.cfl_stages:
            cfg = dict(cfl)
            cfg.update(channels=self.widths[s - 1], num_modalities=self.num_modalities)
            self.cfls[f'stage{s}'] = MODELS.build(cfg)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages):
            modules = [stream[i] for stream in self.streams]
            if f'stage{i + 1}' in self.cfls:
                modules.append(self.cfls[f'stage{i + 1}'])
            for module in modules:
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'TwoStreamVGG':
        """Set train mode, keeping frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self) -> None:
        """Initialise (``init_cfg``), then load ``pretrained`` VGG16 weights into each stream."""
        super().init_weights()
        if self.pretrained is None:
            return
        state = CheckpointLoader.load_checkpoint(self.pretrained, map_location='cpu')
        state = state.get('state_dict', state)
        for stream, c_in in zip(self.streams, self.in_channels):
            self._load_torchvision_vgg(stream, state, c_in)
        print_log(f'TwoStreamVGG: loaded VGG16 weights from {self.pretrained} into '
                  f'{self.num_modalities} stream(s)', logger='current')

    def _load_torchvision_vgg(self, stream: nn.ModuleList, state: Dict[str, Tensor],
                              c_in: int) -> None:
        if self.widths != (64, 128, 256, 512, 512) or self.num_convs != (2, 2, 3, 3, 3):
            raise ValueError('pretrained VGG16 weights need the default widths and num_convs')
        for stage, indices in zip(stream, _TORCHVISION_VGG16_CONVS):
            convs = [m for m in stage if isinstance(m, nn.Conv2d)]
            for conv, idx in zip(convs, indices):
                key = f'features.{idx}'
                if f'{key}.weight' not in state:
                    raise KeyError(f'{self.pretrained}: no {key}.weight (expected a torchvision '
                                   'vgg16 state dict)')
                weight = state[f'{key}.weight']
                if weight.shape[1] != conv.in_channels:
                    weight = weight.mean(dim=1, keepdim=True).repeat(1, c_in, 1, 1)
                with torch.no_grad():
                    conv.weight.copy_(weight)
                    conv.bias.copy_(state[f'{key}.bias'])

    def split_inputs(self, x: Tensor) -> List[Tensor]:
        """Split the stacked input into the modality slices.

        Args:
            x (Tensor): Shape (N, sum(in_channels), H, W).

        Returns:
            list[Tensor]: ``M`` tensors of shape (N, in_channels[m], H, W).
        """
        if x.shape[1] != sum(self.in_channels):
            raise ValueError(f'TwoStreamVGG expects {sum(self.in_channels)} input channels '
                             f'(modalities {self.in_channels}), got {tuple(x.shape)}')
        return list(torch.split(x, list(self.in_channels), dim=1))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the streams.

        Args:
            x (Tensor): Stacked modalities of shape (N, sum(in_channels), H, W).

        Returns:
            tuple[Tensor]: ``M`` conv5 maps of shape (N, widths[-1], H / 16, W / 16) (rounded
            up), one per modality, after the last CFL when stage 5 has one.
        """
        feats = self.split_inputs(x)
        for i in range(5):
            feats = [stream[i](f) for stream, f in zip(self.streams, feats)]
            if f'stage{i + 1}' in self.cfls:
                feats = self.cfls[f'stage{i + 1}'](feats)
            if i < 4:
                feats = [self.pool(f) for f in feats]
        return tuple(feats)


@MODELS.register_module()
class VGG16Stream(TwoStreamVGG):
    """One VGG16 conv1..conv5 stream (the RGB-only DCRD-PDN student's backbone).

    :class:`TwoStreamVGG` with one modality and no CFL (same parameters and checkpoint keys,
    ``streams.0.*``), returning a one-element tuple of conv5 maps.

    Args:
        in_channels (int): Input channels. Defaults to 3.
        **kwargs: :class:`TwoStreamVGG` arguments other than ``cfl`` / ``cfl_stages``.
    """

    def __init__(self, in_channels: int = 3, **kwargs) -> None:
        if kwargs.get('cfl') is not None:
            raise ValueError('VGG16Stream has one stream: no cross-modal feature learning')
        kwargs['cfl'] = None
        if isinstance(in_channels, (list, tuple)):
            if len(in_channels) != 1:
                raise ValueError(f'VGG16Stream has one stream, got in_channels={in_channels}')
            in_channels = in_channels[0]
        super().__init__(in_channels=(int(in_channels), ), **kwargs)
