# Copyright (c) mmped contributors. All rights reserved.
"""VGG16 converted for single-stage detection (SSD / GDFL style)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, xavier_init
from torch import Tensor

from mmped.registry import MODELS

from ..layers import L2Norm

# (name, out_channels) of VGG16's conv layers; 'M' is a 2x2 max-pool
_VGG16_CFG = (64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512)
_VGG16_NAMES = ('conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3',
                'conv4_1', 'conv4_2', 'conv4_3', 'conv5_1', 'conv5_2', 'conv5_3')
# extra blocks: (1x1 channels, 3x3 stride-2 channels)
_EXTRA_CFG = ((256, 512), (128, 256), (128, 256), (128, 256))
_EXTRA_NAMES = tuple(f'conv{6 + i}_2' for i in range(len(_EXTRA_CFG)))
_STRIDES = dict(conv3_3=4, conv4_3=8, conv5_3=16, fc7=16, conv6_2=32, conv7_2=64, conv8_2=128,
                conv9_2=256)


@MODELS.register_module()
class VGG16Det(BaseModule):
    """VGG16 with fc6 / fc7 as convolutions plus extra stride-2 blocks (GDFL, SSD).

    The ``features`` sequential module has exactly the layout of mmdet's ``SSDVGG`` (and of
    torchvision's / mmcv's VGG16 for the conv layers: conv1_1 is ``features.0``, conv5_3 is
    ``features.28``, fc6 ``features.31``, fc7 ``features.33``), so VGG16 checkpoints converted for
    SSD (e.g. mmdet's ``vgg16_caffe``) load with ``init_cfg=dict(type='Pretrained',
    checkpoint=LOCAL_PATH)`` and plain torchvision ``vgg16`` checkpoints load their conv layers.
    pool5 is 3x3 / stride 1 and fc6 a 3x3 conv with dilation 6, so fc7 keeps stride 16. Pools use
    ``ceil_mode=True``. The extra blocks are ``1x1 conv -> 3x3 stride-2 conv`` pairs named
    conv6_2, conv7_2 (the two extra layers of the paper) and conv8_2, conv9_2 (the two more used
    for CityPersons, enabled with ``num_extra_blocks=4``).

    Output strides: conv3_3 4, conv4_3 8, conv5_3 16, fc7 16, conv6_2 32, conv7_2 64,
    conv8_2 128, conv9_2 256.

    Initialisation: the layers VGG16 does not have (the extra blocks, and fc6 / fc7, which an
    ImageNet classification checkpoint holds as fully connected layers) are Xavier-initialised
    (uniform, zero bias; the paper's "xavier" for all new layers) by :meth:`init_weights` whatever
    ``init_cfg`` is; a ``Pretrained`` ``init_cfg`` then overwrites what its checkpoint provides
    (mmdet's ``vgg16_caffe`` holds fc6 / fc7 converted to convs, so they are loaded; the extra
    blocks always keep Xavier).

    Args:
        out_layers (Sequence[str]): Names of the returned layers, in this order. Defaults to
            ``('conv3_3', 'conv4_3', 'conv5_3', 'conv6_2', 'conv7_2')`` (what GDFL's attention
            neck consumes).
        num_extra_blocks (int): Extra stride-2 blocks after fc7 (2, or 4 for CityPersons).
            Defaults to 2.
        widen_factor (float): Multiplier on every channel width (1.0 is VGG16; the CPU demo and
            tests use e.g. 0.125). Defaults to 1.0.
        fc_channels (int): Channels of fc6 / fc7 before ``widen_factor``. Defaults to 1024.
        l2_norm_scale (float, optional): If set, conv4_3 is L2-normalised with a learned scale
            initialised to this value before being returned (SSD's choice, kept by GDFL which is
            initialised from an SSD model; the magnitude of raw conv4_3 activations is otherwise
            far above the deeper layers'). Ignored when conv4_3 is not in ``out_layers``.
            Defaults to 20.0.
        frozen_stages (int): Freeze conv stages 1..frozen_stages (0: none). Defaults to 0.
        norm_cfg (dict, optional): Normalisation after every conv (e.g. ``dict(type='BN')``,
            a VGG16-BN variant for training from scratch such as the CPU demo; the paper's model
            has none). With it, the ``features`` indices no longer match VGG16 checkpoints.
            Defaults to None.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to Xavier on the
            convs.
    """

    layer_strides = _STRIDES

    def __init__(self,
                 out_layers: Sequence[str] = ('conv3_3', 'conv4_3', 'conv5_3', 'conv6_2',
                                              'conv7_2'),
                 num_extra_blocks: int = 2,
                 widen_factor: float = 1.0,
                 fc_channels: int = 1024,
                 l2_norm_scale: Optional[float] = 20.0,
                 frozen_stages: int = 0,
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            init_cfg=init_cfg or dict(type='Xavier', layer='Conv2d', distribution='uniform'))
        if not 0 <= num_extra_blocks <= len(_EXTRA_CFG):
            raise ValueError(f'num_extra_blocks must be in [0, {len(_EXTRA_CFG)}], '
                             f'got {num_extra_blocks}')
        available = ['conv3_3', 'conv4_3', 'conv5_3', 'fc7'] + list(_EXTRA_NAMES[:num_extra_blocks])
        unknown = [name for name in out_layers if name not in available]
        if unknown or not out_layers:
            raise ValueError(f'out_layers {tuple(out_layers)} must be a non-empty subset of '
                             f'{available}')
        self.out_layers = tuple(out_layers)
        self.frozen_stages = frozen_stages

        def width(c: int) -> int:
            return max(4, int(round(c * widen_factor)))

        def conv_act(c_in: int, c_out: int, *args, **kwargs) -> List[nn.Module]:
            conv = [nn.Conv2d(c_in, c_out, *args, **kwargs)]
            if norm_cfg is not None:
                conv.append(build_norm_layer(norm_cfg, c_out)[1])
            return conv + [nn.ReLU(inplace=True)]

        layers: List[nn.Module] = []
        # feature index of the ReLU closing each named conv
        self._tap: Dict[str, int] = {}
        self._stage_ends: List[int] = []
        in_ch, conv_idx = 3, 0
        for item in _VGG16_CFG:
            if item == 'M':
                self._stage_ends.append(len(layers))
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=True))
                continue
            out_ch = width(item)
            layers += conv_act(in_ch, out_ch, 3, padding=1)
            self._tap[_VGG16_NAMES[conv_idx]] = len(layers) - 1
            in_ch, conv_idx = out_ch, conv_idx + 1
        self._stage_ends.append(len(layers))
        fc_ch = width(fc_channels)
        layers.append(nn.MaxPool2d(3, 1, padding=1))
        # feature indices of the fc6 / fc7 convs (new layers for a classification checkpoint)
        self._fc_indices = (len(layers), )
        layers += conv_act(in_ch, fc_ch, 3, padding=6, dilation=6)
        self._fc_indices += (len(layers), )
        layers += conv_act(fc_ch, fc_ch, 1)
        self._tap['fc7'] = len(layers) - 1
        self.features = nn.Sequential(*layers)
        self.channels: Dict[str, int] = {name: width(c) for name, c in zip(
            _VGG16_NAMES, [c for c in _VGG16_CFG if c != 'M'])}
        self.channels['fc7'] = fc_ch

        self.extra = nn.ModuleList()
        in_ch = fc_ch
        for name, (mid, out) in zip(_EXTRA_NAMES[:num_extra_blocks], _EXTRA_CFG):
            mid, out = width(mid), width(out)
            self.extra.append(nn.Sequential(
                *conv_act(in_ch, mid, 1), *conv_act(mid, out, 3, stride=2, padding=1)))
            self.channels[name] = out
            in_ch = out
        # only built when conv4_3 is returned (an unused learned scale would break DDP)
        self.l2_norm = L2Norm(self.channels['conv4_3'], l2_norm_scale) \
            if l2_norm_scale is not None and 'conv4_3' in self.out_layers else None
        # how many extra blocks the outputs need, and the last `features` layer to run (fc7 as
        # soon as an extra block is needed, else the deepest requested VGG layer)
        self._num_extra_used = max(
            (_EXTRA_NAMES.index(name) + 1 for name in self.out_layers if name in _EXTRA_NAMES),
            default=0)
        self._last_tap = self._tap['fc7'] if self._num_extra_used else max(
            self._tap[name] for name in self.out_layers)
        self._out_taps = {self._tap[name]: name for name in self.out_layers if name in self._tap}

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """tuple[int]: Channels of each returned layer, in ``out_layers`` order."""
        return tuple(self.channels[name] for name in self.out_layers)

    @property
    def out_strides(self) -> Tuple[int, ...]:
        """tuple[int]: Stride (image pixels per cell) of each returned layer."""
        return tuple(_STRIDES[name] for name in self.out_layers)

    def init_weights(self) -> None:
        """Xavier on the new layers (extra blocks, fc6 / fc7), then ``init_cfg``.

        A ``Pretrained`` ``init_cfg`` is applied last by mmengine, so it overwrites fc6 / fc7
        when its checkpoint holds them and leaves the Xavier values elsewhere.
        """
        if not self._is_init:
            new_convs = [self.features[i] for i in self._fc_indices]
            new_convs += [m for m in self.extra.modules() if isinstance(m, nn.Conv2d)]
            for conv in new_convs:
                xavier_init(conv, distribution='uniform', bias=0.)
        super().init_weights()

    def _freeze_stages(self) -> None:
        if self.frozen_stages <= 0:
            return
        end = self._stage_ends[min(self.frozen_stages, len(self._stage_ends)) - 1]
        for module in list(self.features)[:end]:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'VGG16Det':
        """Set train mode, keeping frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the network.

        Args:
            x (Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[Tensor]: One map per name in ``out_layers``, layer ``l`` of shape
            (N, C_l, ceil(H / s_l), ceil(W / s_l)) with stride ``s_l`` (see ``out_strides``).
        """
        found: Dict[str, Tensor] = {}
        for idx in range(self._last_tap + 1):
            x = self.features[idx](x)
            if idx in self._out_taps:
                found[self._out_taps[idx]] = x
        for name, block in zip(_EXTRA_NAMES[:self._num_extra_used], self.extra):
            x = block(x)
            found[name] = x
        if self.l2_norm is not None and 'conv4_3' in found:
            found['conv4_3'] = self.l2_norm(found['conv4_3'])
        return tuple(found[name] for name in self.out_layers)


def convert_torchvision_vgg16(state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Turn torchvision's ``vgg16`` weights into :class:`VGG16Det`'s ``features`` layout.

    The 13 conv layers keep their keys (``features.0`` ... ``features.28``). The fully connected
    fc6 / fc7 become convolutions as in SSD (Liu et al.): fc6's (4096, 25088) weight is viewed as
    (4096, 512, 7, 7), every 4th output channel and every 3rd row / column kept, giving the
    (1024, 512, 3, 3) kernel that ``features.31`` applies with dilation 6; fc7's (4096, 4096)
    weight keeps every 4th output and input channel, (1024, 1024, 1, 1) at ``features.33``; the
    biases keep every 4th entry. The classifier (fc8) is dropped.

    Args:
        state_dict (dict[str, Tensor]): torchvision ``vgg16`` state dict (``features.*``,
            ``classifier.0.*``, ``classifier.3.*``).

    Returns:
        dict[str, Tensor]: ``features.*`` weights for ``VGG16Det(widen_factor=1.0)`` without
        ``norm_cfg``.

    Raises:
        KeyError: A key of the torchvision layout is missing.
        ValueError: fc6 / fc7 do not have VGG16's shapes.
    """
    needed = [f'classifier.{i}.{p}' for i in (0, 3) for p in ('weight', 'bias')]
    missing = [k for k in needed if k not in state_dict]
    if missing:
        raise KeyError(f'not a torchvision vgg16 state dict: missing {missing}')
    fc6_w, fc7_w = state_dict['classifier.0.weight'], state_dict['classifier.3.weight']
    if tuple(fc6_w.shape) != (4096, 512 * 7 * 7) or tuple(fc7_w.shape) != (4096, 4096):
        raise ValueError(f'classifier.0.weight {tuple(fc6_w.shape)} / classifier.3.weight '
                         f'{tuple(fc7_w.shape)}: expected (4096, 25088) / (4096, 4096)')
    out = {k: v for k, v in state_dict.items() if k.startswith('features.')}
    out['features.31.weight'] = fc6_w.view(4096, 512, 7, 7)[::4, :, ::3, ::3].contiguous()
    out['features.31.bias'] = state_dict['classifier.0.bias'][::4].contiguous()
    out['features.33.weight'] = fc7_w.view(4096, 4096, 1, 1)[::4, ::4].contiguous()
    out['features.33.bias'] = state_dict['classifier.3.bias'][::4].contiguous()
    return out
