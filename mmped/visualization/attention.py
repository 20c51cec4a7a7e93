# Copyright (c) mmped contributors. All rights reserved.
"""The attention / mask tensors of each mmped model, for visualisation.

Every extractor takes the model and its preprocessed input batch and returns named groups of
maps ``{name: Tensor (B, K, h, w)}``:

* GDFL: the graininess attention (softmax over the scale classes) of the neck;
  CA-GDFL: the channel-mean spatial attention of every detection layer;
* HP-net: the multi-directional attention maps ``alpha`` of every AF-net branch;
* Da-HAR: the self-masks of the main net, the masked-attention mask and the
  confidence-weighted attention maps of the side branch;
* BUFF (person search with FAM): the foreground probability of conv3;
* DCRL / DCRD: the RPG-stage segmentation probability (pedestrian box masks).
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor, nn

__all__ = ['extract_attention_maps', 'attention_extractor']

Maps = Dict[str, Tensor]
_EXTRACTORS: List[Tuple[Callable[[nn.Module], bool], Callable[[nn.Module, Tensor], Maps]]] = []


def attention_extractor(applies: Callable[[nn.Module], bool]):
    """Register ``fn(model, inputs) -> maps`` for the models where ``applies(model)``."""

    def wrap(fn):
        _EXTRACTORS.append((applies, fn))
        return fn

    return wrap


def _has_neck(model: nn.Module, name: str) -> bool:
    neck = getattr(model, 'neck', None)
    return neck is not None and type(neck).__name__ == name


@attention_extractor(lambda m: _has_neck(m, 'GraininessAttention'))
def _gdfl(model: nn.Module, inputs: Tensor) -> Maps:
    neck = model.neck
    if not neck.with_attention:
        return {}
    feats = model.backbone(inputs)
    return {'graininess attention': neck.attention_logits(feats).softmax(dim=1)}


@attention_extractor(lambda m: _has_neck(m, 'ChannelAdaptiveAttention'))
def _ca_gdfl(model: nn.Module, inputs: Tensor) -> Maps:
    maps = model.neck.attention_maps(model.backbone(inputs))
    return {f'channel-adaptive attention L{j}': m for j, m in enumerate(maps)}


@attention_extractor(lambda m: hasattr(m, 'af_net') and hasattr(m, 'extract_branch_feats'))
def _hpnet(model: nn.Module, inputs: Tensor) -> Maps:
    _, _, alphas = model.extract_branch_feats(inputs)
    return {f'MDA alpha^{b.att_level + 1} (branch {i})': a
            for i, (b, a) in enumerate(zip(model.af_net, alphas))}


@attention_extractor(lambda m: hasattr(m, 'forward_branches') and hasattr(m, 'self_masks'))
def _dahar(model: nn.Module, inputs: Tensor) -> Maps:
    out = model.forward_branches(inputs)
    maps = {f'self-mask stage {s + 1}': m.mean(dim=1, keepdim=True)
            for s, m in sorted(out['self_masks'].items())}
    side = out['side']
    if side is not None:
        if side.get('mask_logits') is not None:
            maps['masked-attention mask'] = side['mask_logits'][:, :1].sigmoid()
        # confidence-weighted attention sigmoid(S) * A, each map scaled to its maximum
        weighted = side['attention'] * side['confidence'].sigmoid()
        peak = weighted.flatten(2).max(dim=-1).values.clamp(min=1e-12)
        maps['attribute attention'] = weighted / peak[..., None, None]
    return maps


@attention_extractor(lambda m: getattr(m, 'fg_attention', None) is not None
                     and hasattr(m, 'extract_levels'))
def _buff(model: nn.Module, inputs: Tensor) -> Maps:
    levels = model.extract_levels(inputs)
    logits = model.fg_attention.seg_logits(levels[model.seg_level - 1])
    return {'foreground probability': logits.sigmoid()}


@attention_extractor(lambda m: getattr(m, 'rpn_seg_head', None) is not None
                     and hasattr(m, 'extract_feat'))
def _dcrl(model: nn.Module, inputs: Tensor) -> Maps:
    # the RPG head segments the concatenated conv5 maps of all modalities; a distilled student
    # validates on the teacher's stacked pairs and sees only its own channels of them
    if hasattr(model, 'student_inputs'):
        inputs = model.student_inputs(inputs)
    logits = model.rpn_seg_head(torch.cat(model.extract_feat(inputs), dim=1))
    prob = logits.softmax(dim=1)[:, 1:] if logits.shape[1] > 1 else logits.sigmoid()
    return {'pedestrian segmentation (RPG)': prob}


@torch.no_grad()
def extract_attention_maps(model: nn.Module, inputs: Tensor) -> Optional[Maps]:
    """Named attention / mask maps of ``model`` on a preprocessed batch.

    Args:
        model (nn.Module): An mmped model (unwrapped), in eval mode.
        inputs (Tensor): The data preprocessor's output (B, C, H, W).

    Returns:
        dict[str, Tensor] | None: Name -> (B, K, h, w) maps, or None when the model has
        no attention / mask module mmped knows how to draw.
    """
    for applies, fn in _EXTRACTORS:
        if applies(model):
            maps = fn(model, inputs)
            return {k: (v if v.dim() == 4 else v.unsqueeze(1)).float() for k, v in maps.items()}
    return None
