# Copyright (c) mmped contributors. All rights reserved.
"""GDFL's zoom-in-zoom-out module (ZIZOM)."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS

from ..layers import L2Norm


@MODELS.register_module()
class ZoomInZoomOut(BaseModule):
    """Fuse a detection layer with its finer (zoom-in) and coarser (zoom-out) neighbours.

    Each neighbour goes through a 1x1 conv (feature selection, + ReLU) and is resampled to the
    current layer's size without learned parameters: adaptive max-pooling for the finer map,
    bilinear interpolation for the coarser one. The current layer and the two resampled maps
    are each L2-normalised per position with a learned scale initialised to ``norm_scale`` (10
    in the paper), *then* multiplied by the current layer's attention, concatenated and reduced
    by a 1x1 conv (+ ReLU) to ``out_channels``.

    Order of the operations (our reading of Sec. III-C and Fig. 5(b)): the paper lists
    resampling, attention encoding, fusion and an L2 normalisation that "rescales the norm" of
    maps coming from different layers, without fixing where the normalisation sits. A
    per-position L2 normalisation applied after a per-position attention map returns
    ``x / ||x||`` whatever the map is, so normalising after the attention would remove the
    attention from every ZIZOM input (and GDFL's conv4_3 would get none at all). We therefore
    normalise each input first (harmonising the scales of the three layers, as ParseNet does
    before concatenation) and encode the attention into the normalised maps, which keeps
    Fig. 5(b)'s "re-sampled and encoded with the corresponding attention map before to be
    fused". The current layer is accordingly given *before* its attention encoding: its part
    of the fusion is ``attention * L2Norm(F_i)``, i.e. eq. (1) applied to the normalised layer.

    Args:
        in_channels (int): Channels C of the current layer.
        zoom_in_channels (int, optional): Channels of the finer neighbour; None disables it.
        zoom_out_channels (int, optional): Channels of the coarser neighbour; None disables it.
        select_channels (int, optional): Output channels of each neighbour's 1x1 conv.
            Not given in the paper; defaults to ``in_channels // 2``.
        out_channels (int, optional): Output channels; defaults to ``in_channels`` so the module
            drops into an existing head.
        norm_scale (float): Initial learned L2-norm scale. Defaults to 10.0.
        init_cfg (dict, optional): Initialisation. Defaults to Xavier on convs.
    """

    def __init__(self,
                 in_channels: int,
                 zoom_in_channels: Optional[int] = None,
                 zoom_out_channels: Optional[int] = None,
                 select_channels: Optional[int] = None,
                 out_channels: Optional[int] = None,
                 norm_scale: float = 10.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            init_cfg=init_cfg or dict(type='Xavier', layer='Conv2d', distribution='uniform'))
        select_channels = select_channels or max(1, in_channels // 2)
        out_channels = out_channels or in_channels
        self.out_channels = out_channels
        self.norm_cur = L2Norm(in_channels, norm_scale)
        total = in_channels
        self.zoom_in = self.zoom_out = None
        if zoom_in_channels is not None:
            self.zoom_in = nn.Sequential(nn.Conv2d(zoom_in_channels, select_channels, 1),
                                         nn.ReLU(inplace=True))
            self.norm_in = L2Norm(select_channels, norm_scale)
            total += select_channels
        if zoom_out_channels is not None:
            self.zoom_out = nn.Sequential(nn.Conv2d(zoom_out_channels, select_channels, 1),
                                          nn.ReLU(inplace=True))
            self.norm_out = L2Norm(select_channels, norm_scale)
            total += select_channels
        self.fuse = nn.Sequential(nn.Conv2d(total, out_channels, 1), nn.ReLU(inplace=True))

    def forward(self,
                x: Tensor,
                finer: Optional[Tensor] = None,
                coarser: Optional[Tensor] = None,
                attention: Optional[Tensor] = None,
                neighbour_attention: Optional[Tensor] = None) -> Tensor:
        """Fuse.

        Args:
            x (Tensor): Current layer *before* attention encoding, (N, C, h, w).
            finer (Tensor, optional): Finer neighbour (N, C_in, h', w'), ``h' >= h``.
            coarser (Tensor, optional): Coarser neighbour (N, C_out, h'', w''), ``h'' <= h``.
            attention (Tensor, optional): Attention of the current layer, broadcastable to
                ``x``: (N, 1, h, w) spatial, (N, C, h, w) channel-adaptive, or a product with an
                (N, C, 1, 1) channel gate. None: no attention (the ablation without attention).
            neighbour_attention (Tensor, optional): Spatial attention (N, 1, h, w) encoded into
                the resampled neighbours. Defaults to ``attention`` when that has one channel.

        Returns:
            Tensor: Fused features (N, out_channels, h, w).
        """
        if neighbour_attention is None and attention is not None:
            if attention.shape[1] != 1:
                raise ValueError('ZoomInZoomOut: a multi-channel `attention` needs a one-channel '
                                 '`neighbour_attention` for the neighbours')
            neighbour_attention = attention
        size = x.shape[-2:]
        parts = [_encode(self.norm_cur(x), attention)]
        if self.zoom_in is not None:
            if finer is None:
                raise ValueError('ZoomInZoomOut was built with a zoom-in branch: pass `finer`')
            z = F.adaptive_max_pool2d(self.zoom_in(finer), size)
            parts.append(_encode(self.norm_in(z), neighbour_attention))
        if self.zoom_out is not None:
            if coarser is None:
                raise ValueError('ZoomInZoomOut was built with a zoom-out branch: pass `coarser`')
            z = F.interpolate(self.zoom_out(coarser), size=size, mode='bilinear',
                              align_corners=False)
            parts.append(_encode(self.norm_out(z), neighbour_attention))
        return self.fuse(torch.cat(parts, dim=1))


def _encode(feat: Tensor, attention: Optional[Tensor]) -> Tensor:
    """``feat * attention`` (broadcast), or ``feat`` without attention."""
    return feat if attention is None else feat * attention


def build_zizoms(layers: Sequence[int], in_channels: Sequence[int], det_indices: Sequence[int],
                 select_channels: Optional[int] = None) -> nn.ModuleDict:
    """One :class:`ZoomInZoomOut` per listed detection layer, neighbours taken from the inputs.

    Args:
        layers (Sequence[int]): Positions in ``det_indices`` of the layers that get a ZIZOM
            (GDFL: ``(0, )``, i.e. conv4_3; the Table VII ablation adds conv5_3 with ``(0, 1)``).
        in_channels (Sequence[int]): Channels of every neck input (backbone outputs).
        det_indices (Sequence[int]): Input index of each detection layer.
        select_channels (int, optional): See :class:`ZoomInZoomOut`.

    Returns:
        nn.ModuleDict: Keyed by ``str(position)``. The zoom-in / zoom-out neighbours of the
        detection layer at input index ``k`` are inputs ``k - 1`` and ``k + 1`` (directly adjacent
        backbone layers), when they exist.
    """
    modules: Dict[str, nn.Module] = {}
    for pos in layers:
        k = det_indices[pos]
        modules[str(pos)] = ZoomInZoomOut(
            in_channels[k],
            zoom_in_channels=in_channels[k - 1] if k > 0 else None,
            zoom_out_channels=in_channels[k + 1] if k + 1 < len(in_channels) else None,
            select_channels=select_channels)
    return nn.ModuleDict(modules)


def apply_zizoms(zizoms: nn.ModuleDict, inputs: Sequence[Tensor], feats: List[Tensor],
                 det_indices: Sequence[int], attentions: Sequence[Optional[Tensor]],
                 neighbour_attentions: Optional[Sequence[Optional[Tensor]]] = None) -> None:
    """Replace ``feats[pos]`` by its ZIZOM output in place (see :func:`build_zizoms`).

    The ZIZOM of a layer gets that layer's backbone output (before attention encoding) and its
    attention, and encodes the attention after its L2 normalisation (see
    :class:`ZoomInZoomOut`).

    Args:
        zizoms (nn.ModuleDict): Output of :func:`build_zizoms`.
        inputs (Sequence[Tensor]): Backbone outputs (current layers and neighbours).
        feats (list[Tensor]): Attention-encoded detection features, one per detection layer.
        det_indices (Sequence[int]): Input index of each detection layer.
        attentions (Sequence[Tensor | None]): Per detection layer attention broadcastable to
            the layer, or None.
        neighbour_attentions (Sequence[Tensor | None], optional): Per detection layer spatial
            attention (N, 1, h, w) for the neighbours. Defaults to ``attentions``.
    """
    for key, module in zizoms.items():
        pos = int(key)
        k = det_indices[pos]
        finer = inputs[k - 1] if k > 0 else None
        coarser = inputs[k + 1] if k + 1 < len(inputs) else None
        neighbour = neighbour_attentions[pos] if neighbour_attentions is not None else None
        feats[pos] = module(inputs[k], finer, coarser, attentions[pos], neighbour)
