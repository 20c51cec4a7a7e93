# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR: distraction-aware human attribute recognition (Wu, Huang, Guo, Wang; AAAI 2020)."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmpretrain.structures import DataSample
from torch import Tensor

from mmped.datasets.transforms.attribute_crops import CROP_POSITIONS, corner_crop_box
from mmped.models.heads.multi_label_attr_head import stack_attribute_targets
from mmped.registry import MODELS

from .ped_image_classifier import PedImageClassifier


@MODELS.register_module()
class DAHAR(PedImageClassifier):
    """Da-HAR: a ResNet main net with self-mask blocks plus a masked-attention side branch.

    Main net: the backbone (mmpretrain ResNet-101 in the paper) with a
    :class:`~mmped.models.layers.SelfMaskBlock` after each stage in ``self_mask_stages``,
    global pooling (``neck``) and a multi-label linear head (``head``, with its own loss).
    Side branch: the (masked) outputs of ``side_stages`` are fused by ``side_neck``
    (:class:`~mmped.models.necks.MultiLevelFusion`; None feeds the single stage directly, the
    SRN baseline) and classified by ``side_head``
    (:class:`~mmped.models.heads.MaskedAttentionHead`), trained with ``side_loss`` plus the
    person-mask loss on samples carrying a ``gt_seg_map`` (1 = target person).

    Inference: ``test_cfg['score_fusion']`` ``'mean'`` (default) averages the logits of the
    two branches and applies the sigmoid to the mean (the issue's "main-net and side-branch
    logits averaged"; SRN, which Da-HAR builds on, also averages the pre-sigmoid confidences),
    ``'main'`` / ``'side'`` report one branch. ``test_cfg['five_crop']=dict(crop_size=224)``
    (an int or ``(w, h)``) averages the probabilities over the four corner and the centre
    crops of each input (the paper's "five-crop evaluation" of 224 crops from the 256 x 256
    test input); the same is available as test-time augmentation with
    :class:`~mmped.datasets.transforms.FiveCrop`.

    Args:
        backbone (dict): Backbone config; must expose mmpretrain ResNet's ``res_layers`` and
            stem (``mmpretrain.ResNet`` / ``ResNetV1d`` / ``ResNeXt``).
        head (dict): Main-net head config (e.g. ``MultiLabelAttrHead`` with its loss).
        side_head (dict, optional): Side-branch head config; None disables the side branch.
            Its ``in_channels`` are filled in (fusion width or stage width) when omitted.
        side_neck (dict, optional): Fusion config over ``side_stages``; its ``in_channels``
            are filled in from the backbone when omitted.
        side_stages (Sequence[int]): Backbone stages feeding the side branch.
            Defaults to (1, 2, 3).
        side_loss (dict, optional): Attribute loss of the side branch, called as
            ``loss(logits, gt_score, valid)`` (e.g. ``WeightedBCELoss``); required with
            ``side_head``.
        self_mask_stages (Sequence[int]): Stages followed by a self-mask block.
            Defaults to (0, 1, 2).
        self_mask_cfg (dict, optional): Extra arguments of ``SelfMaskBlock``.
        ignore_invalid_labels (bool): Leave labels with ``gt_valid`` False (WIDER-Attribute's
            unspecified 0 labels) out of the attribute losses. False trains them as negatives
            (``gt_score`` is 0 there), the "Ignore 0-labeled" switch of Table 3.
            Defaults to True.
        neck (dict, optional): Main-net pooling. Defaults to
            ``dict(type='mmpretrain.GlobalAveragePooling')``.
        test_cfg (dict, optional): ``score_fusion`` and ``five_crop`` (see above).
        train_cfg (dict, optional): Batch augmentations, as for ``ImageClassifier``.
        data_preprocessor (dict, optional): Defaults to ``mmpretrain.ClsDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 side_head: Optional[dict] = None,
                 side_neck: Optional[dict] = None,
                 side_stages: Sequence[int] = (1, 2, 3),
                 side_loss: Optional[dict] = None,
                 self_mask_stages: Sequence[int] = (0, 1, 2),
                 self_mask_cfg: Optional[dict] = None,
                 ignore_invalid_labels: bool = True,
                 neck: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck or dict(type='mmpretrain.GlobalAveragePooling'),
            head=head,
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not hasattr(self.backbone, 'res_layers'):
            raise TypeError('DAHAR needs a ResNet-style backbone with `res_layers`, got '
                            f'{type(self.backbone).__name__}')
        stage_channels = self._stage_channels()
        num_stages = len(stage_channels)
        for name, stages in (('self_mask_stages', self_mask_stages),
                             ('side_stages', side_stages)):
            if any(not 0 <= s < num_stages for s in stages):
                raise ValueError(f'{name} {tuple(stages)} out of range for a backbone with '
                                 f'{num_stages} stages')
        self.ignore_invalid_labels = ignore_invalid_labels
        self.self_mask_stages = tuple(sorted(set(self_mask_stages)))
        self.self_masks = nn.ModuleDict({
            str(s): MODELS.build(
                dict(type='mmped.SelfMaskBlock', in_channels=stage_channels[s],
                     **(self_mask_cfg or {})))
            for s in self.self_mask_stages
        })

        self.side_stages = tuple(side_stages)
        self.side_neck = None
        self.side_head = None
        if side_head is not None:
            if side_loss is None:
                raise ValueError('side_head needs a side_loss')
            if side_neck is not None:
                side_neck = dict(side_neck)
                side_neck.setdefault('in_channels', [stage_channels[s] for s in side_stages])
                self.side_neck = MODELS.build(side_neck)
            elif len(self.side_stages) != 1:
                raise ValueError('without side_neck the side branch takes exactly one stage, '
                                 f'got side_stages={self.side_stages}')
            side_head = dict(side_head)
            side_head.setdefault(
                'in_channels', self.side_neck.out_channels
                if self.side_neck is not None else stage_channels[self.side_stages[0]])
            self.side_head = MODELS.build(side_head)
            self.side_loss = MODELS.build(side_loss)

        self.test_cfg = dict(score_fusion='mean', five_crop=None)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['score_fusion'] not in ('mean', 'main', 'side'):
            raise ValueError("test_cfg['score_fusion'] must be 'mean', 'main' or 'side', got "
                             f"{self.test_cfg['score_fusion']!r}")
        if self.test_cfg['score_fusion'] != 'main' and self.side_head is None:
            raise ValueError('score_fusion needs the side branch; use '
                             "test_cfg=dict(score_fusion='main') without side_head")

    @property
    def with_side_branch(self) -> bool:
        """Whether the model has a side branch."""
        return self.side_head is not None

    def _stage_channels(self) -> List[int]:
        """Output channels of every backbone stage (from the built stages themselves)."""
        channels = []
        for name in self.backbone.res_layers:
            layer = getattr(self.backbone, name)
            channels.append(int(getattr(layer, 'out_channels', layer[-1].out_channels)))
        return channels

    def forward_stages(self, inputs: Tensor) -> Tuple[List[Tensor], Dict[int, Tensor]]:
        """Run the backbone, applying the self-mask blocks after their stages.

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[list[Tensor], dict[int, Tensor]]: The (masked) output of every stage, stage
            i of shape (N, C_i, H / 2^(i+2), W / 2^(i+2)) for ResNet; and the self masks
            (N, 1, H_i, W_i) by stage index.
        """
        backbone = self.backbone
        if getattr(backbone, 'deep_stem', False):
            x = backbone.stem(inputs)
        else:
            x = backbone.relu(backbone.norm1(backbone.conv1(inputs)))
        x = backbone.maxpool(x)
        outs, masks = [], {}
        for i, name in enumerate(backbone.res_layers):
            x = getattr(backbone, name)(x)
            if str(i) in self.self_masks:
                x, masks[i] = self.self_masks[str(i)].forward_with_mask(x)
            outs.append(x)
        return outs, masks

    def forward_branches(self, inputs: Tensor) -> Dict[str, object]:
        """Both branches' raw outputs.

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).

        Returns:
            dict: ``main_feats`` (tuple of pooled features, (N, C)), ``main_logits`` (N, K),
            ``side`` (the side head's output dict, None without side branch) and
            ``self_masks`` (dict stage -> (N, 1, H_i, W_i)).
        """
        stages, masks = self.forward_stages(inputs)
        main_feats = self.neck((stages[-1], ))
        main_logits = self.head(main_feats)
        side = None
        if self.with_side_branch:
            side_inputs = [stages[s] for s in self.side_stages]
            fused = self.side_neck(side_inputs) if self.side_neck is not None \
                else side_inputs[0]
            side = self.side_head(fused)
        return dict(main_feats=main_feats, main_logits=main_logits, side=side,
                    self_masks=masks)

    def extract_feat(self, inputs: Tensor, stage: str = 'neck') -> Tuple[Tensor, ...]:
        """Main-net features (``stage='backbone'``: every masked stage; ``'neck'``: pooled)."""
        stages, _ = self.forward_stages(inputs)
        if stage == 'backbone':
            return tuple(stages)
        if stage == 'neck':
            return self.neck((stages[-1], ))
        raise ValueError(f"stage must be 'backbone' or 'neck', got {stage!r}")

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """``'tensor'``: (main logits, side logits or None); ``'loss'``; ``'predict'``."""
        if mode == 'tensor':
            out = self.forward_branches(inputs)
            side = out['side']['logits'] if out['side'] is not None else None
            return out['main_logits'], side
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: Tensor, data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """Per-branch attribute losses and the person-mask loss.

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).
            data_samples (list[DataSample]): ``gt_score`` (A,), optional ``gt_valid`` (A,)
                and optional ``gt_seg_map`` (H, W) person masks.

        Returns:
            dict[str, Tensor]: ``main_loss`` (the head's losses, prefixed ``main_``),
            ``side_loss`` and ``side_loss_mask`` (with a mask branch).
        """
        if not self.ignore_invalid_labels:
            data_samples = [self._all_labels_valid(ds) for ds in data_samples]
        out = self.forward_branches(inputs)
        losses = {f'main_{k}': v for k, v in self.head.loss(out['main_feats'],
                                                             data_samples).items()}
        if out['side'] is not None:
            gt, valid = stack_attribute_targets(data_samples, inputs.device)
            losses['side_loss'] = self.side_loss(out['side']['logits'], gt, valid)
            if out['side']['mask_logits'] is not None:
                # flipped numpy masks have negative strides: copy them contiguous first
                targets = [
                    torch.as_tensor(np.ascontiguousarray(ds.gt_seg_map), dtype=torch.float32)
                    if 'gt_seg_map' in ds else None for ds in data_samples
                ]
                losses['side_loss_mask'] = self.side_head.loss_mask(
                    out['side']['mask_logits'], targets)
        return losses

    @staticmethod
    def _all_labels_valid(data_sample: DataSample) -> DataSample:
        """A copy of the sample whose every label counts (``gt_valid`` all True)."""
        if 'gt_valid' not in data_sample:
            return data_sample
        sample = data_sample.clone()
        sample.set_field(torch.ones_like(torch.as_tensor(data_sample.gt_valid).bool()),
                         'gt_valid')
        return sample

    def _scores(self, inputs: Tensor) -> Tensor:
        """Fused attribute probabilities (N, K) of one view."""
        out = self.forward_branches(inputs)
        fusion = self.test_cfg['score_fusion']
        main = out['main_logits']
        if fusion == 'main':
            return main.sigmoid()
        side = out['side']['logits']
        return side.sigmoid() if fusion == 'side' else ((main + side) / 2).sigmoid()

    def predict_scores(self, inputs: Tensor) -> Tensor:
        """Attribute probabilities (N, K), five-crop averaged when ``test_cfg`` asks.

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).

        Returns:
            Tensor: Probabilities of shape (N, K).
        """
        five_crop = self.test_cfg.get('five_crop')
        if not five_crop:
            return self._scores(inputs)
        size = five_crop.get('crop_size', 224) if isinstance(five_crop, dict) else 224
        crop_w, crop_h = (size, size) if isinstance(size, int) else size
        crops = []
        for position in CROP_POSITIONS:
            x1, y1, x2, y2 = corner_crop_box(inputs.shape[-2:], (crop_h, crop_w), position)
            crops.append(inputs[..., y1:y2, x1:x2])
        scores = self._scores(torch.cat(crops))
        return scores.view(len(crops), inputs.shape[0], -1).mean(dim=0)

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Fused predictions: ``pred_score`` (K,) and ``pred_label`` (scores > threshold).

        Args:
            inputs (Tensor): Images of shape (N, 3, H, W).
            data_samples (list[DataSample], optional): Samples to fill; new ones if None.

        Returns:
            list[DataSample]: One per input.
        """
        scores = self.predict_scores(inputs).detach()
        threshold = getattr(self.head, 'threshold', None)
        threshold = 0.5 if threshold is None else threshold
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.shape[0])]
        for ds, score in zip(data_samples, scores):
            ds.set_pred_score(score)
            ds.set_pred_label(torch.where(score > threshold)[0])
        return data_samples
