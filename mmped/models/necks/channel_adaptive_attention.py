# Copyright (c) mmped contributors. All rights reserved.
"""CA-GDFL's channel-adaptive spatial attention neck."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS

from .strides import image_size_from_strides
from .zoom_in_zoom_out import apply_zizoms, build_zizoms


class _AttentionSegBranch(nn.Module):
    """Attention (4 convs) and segmentation (6 layers) branches sharing their first 3 convs."""

    def __init__(self, channels: int, feat_channels: int, att_channels: int,
                 with_seg: bool) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        c = channels
        for _ in range(3):
            layers += [nn.Conv2d(c, feat_channels, 3, padding=1), nn.ReLU(inplace=True)]
            c = feat_channels
        self.shared = nn.Sequential(*layers)
        self.att = nn.Conv2d(feat_channels, att_channels, 3, padding=1)
        self.seg_reduce = nn.Conv2d(feat_channels, 2, 1) if with_seg else None
        self.seg_pred = nn.Conv2d(2, 2, 1) if with_seg else None

    def forward(self, x: Tensor, seg_size: Optional[Tuple[int, int]] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        """Attention and (optionally) segmentation logits of one detection layer.

        Args:
            x (Tensor): Detection layer (N, C, h, w).
            seg_size (tuple[int, int], optional): Run the segmentation branch and upsample its
                logits to this size. None: attention only (inference).

        Returns:
            tuple[Tensor, Tensor | None]: Attention in [0, 1], (N, C_att, h, w), and the
            segmentation logits (N, 2, *seg_size) or None.
        """
        shared = self.shared(x)
        att = self.att(shared).sigmoid()
        if seg_size is None or self.seg_reduce is None:
            return att, None
        seg = F.interpolate(self.seg_reduce(shared), size=seg_size, mode='bilinear',
                            align_corners=False)
        return att, self.seg_pred(seg)


@MODELS.register_module()
class ChannelAdaptiveAttention(BaseModule):
    """Per detection layer channel-adaptive spatial attention with scale-specific segmentation.

    On top of every detection layer ``F_j`` (C_j channels) an attention branch of 4 convs and a
    segmentation branch of 6 layers share their first three 3x3x``feat_channels`` convs (+ ReLU).
    The attention branch ends with a 3x3 conv to C_j channels and a sigmoid (the paper does not
    name the activation; a sigmoid keeps the gate in [0, 1] like GDFL's softmax maps), multiplied
    element-wise into ``F_j``. With ``channel_adaptive=False`` it outputs one channel broadcast
    over C_j ("CA-GDFL w/o channel att.", Table VIII). The segmentation branch is a 1x1x2 conv,
    bilinear upsampling to image size / ``seg_stride`` and a 1x1x2 prediction conv; it is only
    run when masks are requested (training) and is dropped at inference. An optional ZIZOM
    replaces a layer by the fusion of its L2-normalised backbone output times its full
    channel-adaptive attention and the L2-normalised neighbours times the attention's channel
    mean (attention after normalisation, see :class:`ZoomInZoomOut`).

    Args:
        in_channels (Sequence[int]): Channels of the backbone outputs.
        in_strides (Sequence[int]): Their strides. They give the image size (the finest input's
            size times its stride, e.g. conv3_3's even when it is no detection layer) that the
            segmentation logits are upsampled to, and every input is checked against its stride
            (an error names a mismatching input). Defaults to ``(4, 8, 16, 32, 64)``.
        det_indices (Sequence[int]): Inputs used as detection layers. Defaults to ``(1, 2, 3, 4)``
            (conv3_3 at input 0 only feeds the ZIZOM).
        feat_channels (int): Channels of the shared convs. Defaults to 256.
        channel_adaptive (bool): C_j-channel attention (True) or single-channel. Defaults to True.
        with_seg (bool): Build the segmentation branch (False: the "self attention" ablation,
            trained by the detection loss only). Defaults to True.
        seg_stride (int): Segmentation logits are upsampled to image size / ``seg_stride``. The
            paper only says "bilinear up-sampling"; 4 keeps 30 px pedestrians ~7 cells tall.
            Defaults to 4.
        zizom_layers (Sequence[int]): Positions in ``det_indices`` with a ZIZOM. Defaults to ``()``.
        zizom_channels (int, optional): 1x1 conv channels of the ZIZOM neighbours.
        init_cfg (dict, optional): Initialisation. Defaults to Xavier on convs.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_strides: Sequence[int] = (4, 8, 16, 32, 64),
                 det_indices: Sequence[int] = (1, 2, 3, 4),
                 feat_channels: int = 256,
                 channel_adaptive: bool = True,
                 with_seg: bool = True,
                 seg_stride: int = 4,
                 zizom_layers: Sequence[int] = (),
                 zizom_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            init_cfg=init_cfg or dict(type='Xavier', layer='Conv2d', distribution='uniform'))
        if len(in_channels) != len(in_strides):
            raise ValueError(f'{len(in_channels)} in_channels but {len(in_strides)} in_strides')
        self.in_channels = list(in_channels)
        self.in_strides = list(in_strides)
        self.det_indices = tuple(det_indices)
        self.with_seg = with_seg
        self.seg_stride = seg_stride
        self.branches = nn.ModuleList([
            _AttentionSegBranch(in_channels[k], feat_channels,
                                in_channels[k] if channel_adaptive else 1, with_seg)
            for k in det_indices
        ])
        self.zizoms = build_zizoms(zizom_layers, in_channels, det_indices, zizom_channels)

    def forward(self, inputs: Sequence[Tensor], return_masks: bool = False
                ) -> Union[Tuple[Tensor, ...], Tuple[Tuple[Tensor, ...], Optional[List[Tensor]]]]:
        """Encode the attention into the detection layers.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs, input ``k`` of shape
                (N, in_channels[k], H / in_strides[k], W / in_strides[k]).
            return_masks (bool): Also run the segmentation branches. Defaults to False.

        Returns:
            tuple[Tensor] | tuple[tuple[Tensor], list[Tensor] | None]: Detection features
            (shapes of the selected inputs); with ``return_masks`` also one segmentation logit
            map (N, 2, H / seg_stride, W / seg_stride) per detection layer, (H, W) the image size
            given by ``in_strides`` (None if ``with_seg=False``).
        """
        img_h, img_w = image_size_from_strides(inputs, self.in_strides)
        size = (int(round(img_h / self.seg_stride)), int(round(img_w / self.seg_stride)))
        seg_size = size if return_masks and self.with_seg else None
        feats, atts, spatial, segs = [], [], [], []
        for k, branch in zip(self.det_indices, self.branches):
            att, seg = branch(inputs[k], seg_size)
            feats.append(inputs[k] * att)
            atts.append(att)
            spatial.append(att.mean(dim=1, keepdim=True))
            if seg is not None:
                segs.append(seg)
        apply_zizoms(self.zizoms, inputs, feats, self.det_indices, atts, spatial)
        if return_masks:
            return tuple(feats), (segs if self.with_seg else None)
        return tuple(feats)

    def attention_maps(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Spatial summary (channel mean) of each layer's attention, for visualisation.

        Args:
            inputs (Sequence[Tensor]): Backbone outputs.

        Returns:
            list[Tensor]: (N, 1, h_j, w_j) per detection layer, values in [0, 1].
        """
        return [branch(inputs[k])[0].mean(dim=1, keepdim=True)
                for k, branch in zip(self.det_indices, self.branches)]
