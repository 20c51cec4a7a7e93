# Copyright (c) mmped contributors. All rights reserved.
from typing import Optional, Union

import torch.nn as nn
from mmpretrain.models.classifiers import ImageClassifier

from mmped.registry import MODELS

__all__ = ['PedImageClassifier']


def _build(cfg: Union[dict, nn.Module, None]) -> Optional[nn.Module]:
    """Build ``cfg`` and its whole sub-tree under the ``mmped`` scope."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    cfg = dict(cfg)
    # ``_scope_`` makes mmengine switch the default scope while building, so the children
    # of the child (e.g. a head's loss) resolve in mmped too
    cfg.setdefault('_scope_', 'mmped')
    return MODELS.build(cfg)


@MODELS.register_module()
class PedImageClassifier(ImageClassifier):
    """mmpretrain's ``ImageClassifier`` whose children are built by mmped's registry.

    mmpretrain's ``ImageClassifier`` builds its children with mmpretrain's ``MODELS``: under
    a plain mmpretrain scope ``type='mmped.X'`` cannot be resolved there (mmped's registries
    are children of mmdet's, not of the root), and under ``default_scope='mmped'`` unprefixed
    names silently resolve to mmdet types. This subclass builds ``data_preprocessor``,
    ``backbone``, ``neck`` and ``head`` through ``mmped.registry.MODELS`` whatever the
    default scope: unprefixed names are mmped (then mmdet, mmengine) types and
    ``mmpretrain.X`` reaches mmpretrain (see docs/attributes.md). Forward, ``extract_feat``,
    ``loss`` and ``predict`` are mmpretrain's. From a plain mmpretrain config, refer to it by
    its module path: ``type='mmped.models.PedImageClassifier'``.

    Args:
        backbone (dict | nn.Module): e.g. ``dict(type='mmpretrain.ResNet', depth=50)``.
        neck (dict | nn.Module, optional): e.g. ``dict(type='mmpretrain.GlobalAveragePooling')``.
        head (dict | nn.Module, optional): e.g. ``dict(type='mmped.MultiLabelAttrHead', ...)``.
        pretrained (str, optional): Checkpoint path (sets ``init_cfg``).
        train_cfg (dict, optional): mmpretrain batch augments.
        data_preprocessor (dict | nn.Module, optional): Defaults to
            ``dict(type='mmpretrain.ClsDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 neck: Union[dict, nn.Module, None] = None,
                 head: Union[dict, nn.Module, None] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Union[dict, nn.Module, None] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if not isinstance(data_preprocessor, nn.Module):
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
            data_preprocessor.setdefault('batch_augments', train_cfg)
        super().__init__(
            backbone=_build(backbone),
            neck=_build(neck),
            head=_build(head),
            pretrained=pretrained,
            train_cfg=train_cfg,
            data_preprocessor=_build(data_preprocessor),
            init_cfg=init_cfg)
