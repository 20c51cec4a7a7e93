# Copyright (c) mmped contributors. All rights reserved.
"""GDFL's scale-aware (graininess-aware) pedestrian attention neck."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS

from .strides import image_size_from_strides
from .zoom_in_zoom_out import apply_zizoms, build_zizoms


class _SEChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention (Table VIII, "GDFL w channel att.")."""

    def __init__(self, channels: int, ratio: int = 16) -> None:
        super().__init__()
        hidden = max(1, channels // ratio)
        self.fc = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True),
                                nn.Conv2d(hidden, channels, 1), nn.Sigmoid())

    def gate(self, x: Tensor) -> Tensor:
        """Channel gate of ``x`` (N, C, h, w), shape (N, C, 1, 1), values in (0, 1)."""
        return self.fc(F.adaptive_avg_pool2d(x, 1))

    def forward(self, x: Tensor) -> Tensor:
        """Gate the channels of ``x`` (N, C, h, w); same shape."""
        return x * self.gate(x)


@MODELS.register_module()
class GraininessAttention(BaseModule):
    """Scale-aware spatial attention on conv3_3 / conv4_3, encoded into the detection layers.

    A max-pool (3x3, stride 1) and three atrous 3x3 convs on conv4_3 give ``conv_mask`` (large
    receptive field at conv4_3's resolution; the paper gives neither the pooling stride nor the
    dilation, we keep the resolution and use dilation 2 as in DeepLab's stride-1 pool). conv3_3,
    conv4_3 and conv_mask are each reduced to ``S_c + 1`` channels by a 1x1 conv, bilinearly
    upsampled to the image size (divided by ``mask_stride``), concatenated and fused by a 1x1
    conv into the attention logits; their softmax ``M`` has a background map and one map per
    scale class. Each detection layer is multiplied by ``M[:, layer_classes[i]]`` resized to its
    size by adaptive average pooling (eq. 1-2: small-pedestrian map on conv4_3 / conv5_3,
    large-pedestrian map on conv6_2 / conv7_2 and the CityPersons extra layers). Optionally an
    SE channel attention follows each spatial attention (Table VIII ablation), and a ZIZOM
    replaces a detection layer by the fusion of its L2-normalised backbone output and adjacent
    layers, each multiplied by the layer's attention after normalisation (so the attention
    survives the normalisation; see :class:`ZoomInZoomOut`).

    ``forward(x)`` returns the detection features only, so the neck drops into any mmdet
    single-stage detector (the attention is then trained by the detection loss alone, i.e. the
    "self attention" ablation); :class:`GDFL` calls ``forward(x, return_masks=True)`` to get the
    attention logits for the mask loss.

    Args:
        in_channels (Sequence[int]): Channels of the backbone outputs, e.g. VGG16Det's
            ``(conv3_3, conv4_3, conv5_3, conv6_2, conv7_2)``.
        in_strides (Sequence[int]): Their strides. They give the image size (the finest input's
            size times its stride) at which the attention is predicted, and every input is
            checked against its stride (an error names a mismatching input). Defaults to
            ``(4, 8, 16, 32, 64)``.
        att_indices (tuple[int, int]): Inputs the attention is built on (conv3_3, conv4_3; the
            atrous convs run on the second). Defaults to ``(0, 1)``.
        det_indices (Sequence[int]): Inputs used as detection layers. Defaults to ``(1, 2, 3, 4)``.
        num_classes (int): ``S_c + 1`` attention maps (3 for GDFL: background / small / large;
            2 for single-scale attention). Defaults to 3.
        layer_classes (Sequence[int]): Attention map encoded into each detection layer.
            Defaults to ``(1, 1, 2, 2)``.
        with_attention (bool): False gives the plain backbone features (+ ZIZOM if set), for
            the ablations without attention. Defaults to True.
        mask_channels (int): Channels of the atrous convs. Defaults to 512.
        dilations (Sequence[int]): Dilation of each atrous conv. Defaults to ``(2, 2, 2)``.
        mask_stride (int): The attention maps are predicted at image size / ``mask_stride``
            (1 in the paper; larger values save memory on big images). Defaults to 1.
        zizom_layers (Sequence[int]): Positions in ``det_indices`` that get a ZIZOM
            (GDFL: ``(0, )``). Defaults to ``()``.
        zizom_channels (int, optional): 1x1 conv channels of the ZIZOM neighbours.
        channel_attention (bool): Add SE channel attention after the spatial attention.
            Defaults to False.
        init_cfg (dict, optional): Initialisation. Defaults to Xavier on convs.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_strides: Sequence[int] = (4, 8, 16, 32, 64),
                 att_indices: Tuple[int, int] = (0, 1),
                 det_indices: Sequence[int] = (1, 2, 3, 4),
                 num_classes: int = 3,
                 layer_classes: Sequence[int] = (1, 1, 2, 2),
                 with_attention: bool = True,
                 mask_channels: int = 512,
                 dilations: Sequence[int] = (2, 2, 2),
                 mask_stride: int = 1,
                 zizom_layers: Sequence[int] = (),
                 zizom_channels: Optional[int] = None,
                 channel_attention: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            init_cfg=init_cfg or dict(type='Xavier', layer='Conv2d', distribution='uniform'))
        if len(in_channels) != len(in_strides):
            raise ValueError(f'{len(in_channels)} in_channels but {len(in_strides)} in_strides')
        if len(layer_classes) != len(det_indices):
            raise ValueError(f'layer_classes {tuple(layer_classes)} needs one entry per '
                             f'detection layer {tuple(det_indices)}')
        if with_attention and not all(1 <= c < num_classes for c in layer_classes):
            raise ValueError(f'layer_classes {tuple(layer_classes)} must be in [1, {num_classes})')
        self.in_channels = list(in_channels)
        self.in_strides = list(in_strides)
        self.att_indices = tuple(att_indices)
        self.det_indices = tuple(det_indices)
        # not `num_classes`: mmdet's NumClassCheckHook compares every module's `num_classes`
        # with the dataset's classes
        self.num_attention_maps = num_classes
        self.layer_classes = tuple(layer_classes)
        self.with_attention = with_attention
        self.mask_stride = mask_stride
        if with_attention:
            c_low, c_high = (in_channels[i] for i in att_indices)
            atrous: List[nn.Module] = [nn.MaxPool2d(3, 1, padding=1)]
            c = c_high
            for d in dilations:
                atrous += [nn.Conv2d(c, mask_channels, 3, padding=d, dilation=d),
                           nn.ReLU(inplace=True)]
                c = mask_channels
            self.conv_mask = nn.Sequential(*atrous)
            self.reduce = nn.ModuleList(
                [nn.Conv2d(ch, num_classes, 1) for ch in (c_low, c_high, mask_channels)])
            self.fuse = nn.Conv2d(3 * num_classes, num_classes, 1)
        self.channel_att = nn.ModuleList(
            [_SEChannelAttention(in_channels[k]) for k in det_indices]) \
            if channel_attention else None
        self.zizoms = build_zizoms(zizom_layers, in_channels, det_indices, zizom_channels)

    def attention_logits(self, inputs: Sequence[Tensor]) -> Tensor:
        """Attention logits at image size / ``mask_stride``.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.

        Returns:
            Tensor: (N, num_classes, H / mask_stride, W / mask_stride), where the image size
            (H, W) is the finest input's size times its stride (see ``in_strides``).
        """
        low, high = (inputs[i] for i in self.att_indices)
        img_h, img_w = image_size_from_strides(inputs, self.in_strides)
        size = (int(round(img_h / self.mask_stride)), int(round(img_w / self.mask_stride)))
        maps = [reduce(feat) for reduce, feat in zip(self.reduce, (low, high,
                                                                   self.conv_mask(high)))]
        maps = [F.interpolate(m, size=size, mode='bilinear', align_corners=False) for m in maps]
        return self.fuse(torch.cat(maps, dim=1))

    def _layer_maps(self, probs: Tensor, feats: Sequence[Tensor]) -> List[Tensor]:
        """Each detection layer's attention map: its scale class pooled to its size.

        Args:
            probs (Tensor): Attention softmax (N, num_classes, H', W').
            feats (Sequence[Tensor]): Detection layers, layer ``j`` (N, C_j, h_j, w_j).

        Returns:
            list[Tensor]: (N, 1, h_j, w_j) per detection layer, values in [0, 1].
        """
        return [F.adaptive_avg_pool2d(probs[:, c:c + 1], feat.shape[-2:])
                for feat, c in zip(feats, self.layer_classes)]

    def attention_maps(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """The spatial attention encoded into each detection layer (eq. 1-2), for
        visualisation: ``M[:, layer_classes[j]]`` pooled to layer ``j``'s size (without the
        optional SE channel gate).

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.

        Returns:
            list[Tensor]: (N, 1, h_j, w_j) per detection layer, values in [0, 1].
        """
        if not self.with_attention:
            raise ValueError('GraininessAttention was built with with_attention=False: it has '
                             'no attention maps')
        feats = [inputs[k] for k in self.det_indices]
        return self._layer_maps(self.attention_logits(inputs).softmax(dim=1), feats)

    def forward(self, inputs: Sequence[Tensor], return_masks: bool = False
                ) -> Union[Tuple[Tensor, ...], Tuple[Tuple[Tensor, ...], Optional[Tensor]]]:
        """Encode the attention (and ZIZOM) into the detection layers.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs, input ``k`` of shape
                (N, in_channels[k], H / in_strides[k], W / in_strides[k]).
            return_masks (bool): Also return the attention logits. Defaults to False.

        Returns:
            tuple[Tensor] | tuple[tuple[Tensor], Tensor | None]: Detection features (shapes of
            the selected inputs); with ``return_masks`` also the attention logits
            (N, num_classes, H / mask_stride, W / mask_stride) (None without attention).
        """
        feats = [inputs[k] for k in self.det_indices]
        logits = None
        # spatial attention of each layer, (N, 1, h, w), and the full attention (spatial x SE
        # channel gate) that the ZIZOM encodes into the normalised current layer
        spatial: List[Optional[Tensor]] = [None] * len(feats)
        if self.with_attention:
            logits = self.attention_logits(inputs)
            spatial = self._layer_maps(logits.softmax(dim=1), feats)
            feats = [feat * att for feat, att in zip(feats, spatial)]
        full: List[Optional[Tensor]] = list(spatial)
        neighbours: List[Optional[Tensor]] = list(spatial)
        if self.channel_att is not None:
            for i, se in enumerate(self.channel_att):
                gate = se.gate(feats[i])
                feats[i] = feats[i] * gate
                full[i] = gate if spatial[i] is None else spatial[i] * gate
                if spatial[i] is None:
                    # the SE gate alone (no spatial attention): the neighbours get no
                    # attention, i.e. a one-channel map of ones
                    neighbours[i] = gate.new_ones(gate.shape[0], 1, 1, 1)
        apply_zizoms(self.zizoms, inputs, feats, self.det_indices, full, neighbours)
        if return_masks:
            return tuple(feats), logits
        return tuple(feats)
