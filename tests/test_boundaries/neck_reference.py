# Copyright (c) mmped contributors. All rights reserved.
"""Independent functional re-implementations of the GDFL / CA-GDFL / Da-HAR necks.

Each function recomputes a neck's output from its parameters with ``torch.nn.functional``
calls written out here, from the papers' descriptions (the docstrings of
``mmped/models/necks``): a mistake in the module's wiring (a pooling kind, a dilation, an
interpolation mode, an attention applied to the wrong layer) then shows as a value difference.
The geometry (dilations, mask stride) is passed in explicitly rather than read back from the
module.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def randomise(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Give every parameter seeded N(0, 0.5) values (biases too), so that no value is special.

    L2-norm scales get U(0.5, 2) per channel, to tell the scale of one part from another's.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in module.named_parameters():
            if name.endswith('weight') and 'norm' in name.split('.')[-2]:
                param.copy_(0.5 + 1.5 * torch.rand(param.shape, generator=gen))
            else:
                param.copy_(0.5 * torch.randn(param.shape, generator=gen))
    return module


def l2norm(x: Tensor, weight: Tensor) -> Tensor:
    """Per-position L2 normalisation times a per-channel scale (N, C, h, w); 1e-10 is added
    to the norm (an all-zero position after a ReLU stays zero)."""
    return weight[None, :, None, None] * x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)


def zizom(module, x: Tensor, finer: Optional[Tensor], coarser: Optional[Tensor],
          attention: Optional[Tensor], neighbour: Optional[Tensor]) -> Tensor:
    """Zoom-in-zoom-out: normalise each part, then encode its attention, concatenate, fuse.

    The finer neighbour is adaptive-max-pooled, the coarser one bilinearly interpolated
    (``align_corners=False``) to the current size.
    """
    def enc(feat, att):
        return feat if att is None else feat * att

    size = x.shape[-2:]
    parts = [enc(l2norm(x, module.norm_cur.weight), attention)]
    if finer is not None:
        conv = module.zoom_in[0]
        z = F.relu(F.conv2d(finer, conv.weight, conv.bias))
        parts.append(enc(l2norm(F.adaptive_max_pool2d(z, size), module.norm_in.weight),
                         neighbour))
    if coarser is not None:
        conv = module.zoom_out[0]
        z = F.relu(F.conv2d(coarser, conv.weight, conv.bias))
        z = F.interpolate(z, size=size, mode='bilinear', align_corners=False)
        parts.append(enc(l2norm(z, module.norm_out.weight), neighbour))
    fuse = module.fuse[0]
    return F.relu(F.conv2d(torch.cat(parts, 1), fuse.weight, fuse.bias))


def graininess_logits(neck, inputs: Sequence[Tensor], image_size: Tuple[int, int],
                      mask_stride: int, dilations: Sequence[int],
                      att_indices: Tuple[int, int] = (0, 1)) -> Tensor:
    """GDFL's attention logits: max-pool 3x3/1 + atrous convs on the high layer, three 1x1
    reductions upsampled to image / mask_stride, concatenated and fused by a 1x1 conv."""
    low, high = (inputs[i] for i in att_indices)
    mask = F.max_pool2d(high, 3, stride=1, padding=1)
    convs = [m for m in neck.conv_mask if isinstance(m, torch.nn.Conv2d)]
    for conv, d in zip(convs, dilations):
        mask = F.relu(F.conv2d(mask, conv.weight, conv.bias, padding=d, dilation=d))
    size = (round(image_size[0] / mask_stride), round(image_size[1] / mask_stride))
    maps = [F.interpolate(F.conv2d(feat, red.weight, red.bias), size=size, mode='bilinear',
                          align_corners=False)
            for red, feat in zip(neck.reduce, (low, high, mask))]
    return F.conv2d(torch.cat(maps, 1), neck.fuse.weight, neck.fuse.bias)


def se_gate(se, x: Tensor) -> Tensor:
    """Squeeze-and-excitation gate (N, C, 1, 1): mean, 1x1 conv, ReLU, 1x1 conv, sigmoid."""
    a, b = se.fc[0], se.fc[2]
    hidden = F.relu(F.conv2d(x.mean((2, 3), keepdim=True), a.weight, a.bias))
    return torch.sigmoid(F.conv2d(hidden, b.weight, b.bias))


def graininess(neck, inputs: Sequence[Tensor], image_size: Tuple[int, int], mask_stride: int,
               dilations: Sequence[int], det_indices: Sequence[int],
               layer_classes: Sequence[int], zizom_positions: Sequence[int] = (),
               channel_attention: bool = False) -> Tuple[List[Tensor], Tensor]:
    """GDFL's neck: each detection layer times its scale class's softmax map, average-pooled to
    the layer (eq. 1-2), optionally times an SE gate; a ZIZOM layer fuses the normalised backbone
    output times (map x gate) with its neighbours times the map."""
    logits = graininess_logits(neck, inputs, image_size, mask_stride, dilations)
    probs = logits.softmax(1)
    feats, full, spatial = [], [], []
    for j, (k, c) in enumerate(zip(det_indices, layer_classes)):
        att = F.adaptive_avg_pool2d(probs[:, c:c + 1], inputs[k].shape[-2:])
        feat = inputs[k] * att
        gate = 1.0
        if channel_attention:
            gate = se_gate(neck.channel_att[j], feat)
            feat = feat * gate
        feats.append(feat)
        spatial.append(att)
        full.append(att * gate)
    _apply_zizoms(neck, inputs, feats, det_indices, zizom_positions, full, spatial)
    return feats, logits


def _apply_zizoms(neck, inputs, feats, det_indices, positions, full, spatial) -> None:
    for pos in positions:
        k = det_indices[pos]
        finer = inputs[k - 1] if k > 0 else None
        coarser = inputs[k + 1] if k + 1 < len(inputs) else None
        feats[pos] = zizom(neck.zizoms[str(pos)], inputs[k], finer, coarser, full[pos],
                           spatial[pos])


def channel_adaptive(neck, inputs: Sequence[Tensor], seg_size: Optional[Tuple[int, int]],
                     det_indices: Sequence[int], zizom_positions: Sequence[int] = ()
                     ) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
    """CA-GDFL's neck: per detection layer three shared 3x3 convs (+ReLU); attention = sigmoid
    of a 3x3 conv, multiplied into the layer; segmentation = 1x1x2 conv, bilinear upsampling to
    ``seg_size``, 1x1x2 conv. ZIZOM neighbours get the attention's channel mean.

    Returns:
        tuple: detection features, attentions, segmentation logits (empty without seg_size).
    """
    feats, atts, spatial, segs = [], [], [], []
    for k, branch in zip(det_indices, neck.branches):
        shared = inputs[k]
        for conv in [m for m in branch.shared if isinstance(m, torch.nn.Conv2d)]:
            shared = F.relu(F.conv2d(shared, conv.weight, conv.bias, padding=1))
        att = torch.sigmoid(F.conv2d(shared, branch.att.weight, branch.att.bias, padding=1))
        feats.append(inputs[k] * att)
        atts.append(att)
        spatial.append(att.mean(1, keepdim=True))
        if seg_size is not None:
            seg = F.conv2d(shared, branch.seg_reduce.weight, branch.seg_reduce.bias)
            seg = F.interpolate(seg, size=seg_size, mode='bilinear', align_corners=False)
            segs.append(F.conv2d(seg, branch.seg_pred.weight, branch.seg_pred.bias))
    _apply_zizoms(neck, inputs, feats, det_indices, zizom_positions, atts, spatial)
    return feats, atts, segs
