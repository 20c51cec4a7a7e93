# Copyright (c) mmped contributors. All rights reserved.
"""Cross-modal distillation detector of DCRD-PDN (Liu et al., TCSVT 2021, Sec. IV)."""
import copy
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmdet.models.losses import accuracy
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import ConfigType, OptConfigType
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.model import ModuleDict
from mmengine.runner.checkpoint import load_checkpoint
from torch import Tensor

from mmped.registry import MODELS

from .multispectral_faster_rcnn import SegAuxFasterRCNN

_STAGES = ('rpn', 'roi')


class _Targets(NamedTuple):
    """Targets of one stage: all sampled rows (R) and the positive ones (P)."""
    labels: Tensor  # (R, )
    label_weights: Tensor  # (R, )
    pos_targets: Tensor  # (P, 4)
    pos_weights: Tensor  # (P, 4)
    cls_avg: float
    reg_avg: float


class _Preds(NamedTuple):
    """Classification logits (R, C) and the positives' box deltas (P, 4) of one model."""
    cls: Tensor
    pos_reg: Tensor


@MODELS.register_module()
class DistillFasterRCNN(SegAuxFasterRCNN):
    """RGB-only student Faster R-CNN trained with a frozen multispectral teacher (DCRD-PDN).

    The student is a :class:`SegAuxFasterRCNN` (one-stream backbone); it receives
    the ``student_channels`` of the stacked input (the visible image of the HxWx6 pair), the
    teacher (built from ``teacher_config`` and loaded from ``teacher_ckpt``) receives all of it.
    The teacher is hidden from the module tree: it is not in ``state_dict()``, ``parameters()``
    (so neither in the optimiser nor in DDP), it is kept in eval mode and has no gradients; it
    follows the student's device through ``_apply`` (``.to()``, ``.cuda()``...). A checkpoint
    of this model therefore holds the student plus the distillation losses' adaptation layer
    (``distill_losses.*``) and loads into the plain student config (the extra keys are reported
    as unexpected by mmengine's non-strict loading).

    Losses (Eq. (14)), each switched on by its config and otherwise replaced by the student's
    ordinary loss of the same name (Table IV ablations):

    - ``loss_feature`` (:class:`mmped.models.losses.FeatureHintLoss`): student conv5 vs the
      teacher's concatenated conv5 maps, key ``loss_feature``;
    - ``loss_cls`` (:class:`mmped.models.losses.SoftHardCrossEntropyLoss`) and ``loss_reg``
      (:class:`mmped.models.losses.BoundedRegressionLoss`): in the stages of
      ``distill_stages``; at the RPN stage on the anchors sampled by the student's RPN (teacher
      outputs at the same anchors, the teacher's per-branch RPN outputs fused with its
      modality weights ``mu``, our choice since the paper fuses only final results); at the
      RoI stage on the student's sampled RoIs, which the teacher's RoI head scores too (fused
      outputs); keys ``loss_rpn_cls`` / ``loss_rpn_bbox`` / ``loss_cls`` / ``loss_bbox``;
    - ``loss_seg`` (:class:`mmped.models.losses.SegDistillLoss`): image masks (RPN stage,
      teacher mask from its concatenated conv5 maps) and RoI masks; keys ``loss_rpn_seg`` /
      ``loss_roi_seg``.

    The inputs are normalised once by this model's data preprocessor; the teacher must have
    been trained with the same per-modality normalisation.

    Args:
        teacher_config (str | dict): Path of the teacher's config file, a config with a
            ``model`` field, or the teacher model dict.
        teacher_ckpt (str, optional): Teacher checkpoint. ``None`` keeps the random
            initialisation: the model builds (configs stay buildable without weights), but
            :meth:`loss` refuses to train unless ``require_teacher_ckpt=False`` (tests, smoke
            runs).
        require_teacher_ckpt (bool): Refuse to train with an unloaded teacher. Defaults to True.
        student_channels (Sequence[int]): Input channels given to the student. Defaults to
            (0, 1, 2) (the visible image). Inputs with exactly that many channels are taken
            as they are (RGB-only evaluation).
        loss_feature (dict, optional): Feature hint loss config.
        loss_cls (dict, optional): Classification distillation loss config.
        loss_reg (dict, optional): Regression distillation loss config.
        loss_seg (dict, optional): Segmentation distillation loss config.
        distill_stages (Sequence[str]): Stages where the cls / reg / seg distillation applies,
            from ``('rpn', 'roi')``. Defaults to both.
        **kwargs: Arguments of :class:`SegAuxFasterRCNN` (the student).
    """

    def __init__(self,
                 teacher_config: Union[str, Path, ConfigType],
                 teacher_ckpt: Optional[str] = None,
                 student_channels: Sequence[int] = (0, 1, 2),
                 loss_feature: OptConfigType = None,
                 loss_cls: OptConfigType = None,
                 loss_reg: OptConfigType = None,
                 loss_seg: OptConfigType = None,
                 distill_stages: Sequence[str] = _STAGES,
                 require_teacher_ckpt: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        unknown = set(distill_stages) - set(_STAGES)
        if unknown:
            raise ValueError(f'unknown distill_stages {sorted(unknown)}; use {_STAGES}')
        self.distill_stages = tuple(distill_stages)
        self.student_channels = tuple(int(c) for c in student_channels)
        self.distill_losses = ModuleDict()
        for name, cfg in (('feature', loss_feature), ('cls', loss_cls), ('reg', loss_reg),
                          ('seg', loss_seg)):
            if cfg is not None:
                self.distill_losses[name] = MODELS.build(cfg)
        #: blend of the distillation terms with the plain losses (1 = the paper's)
        self.distill_weight = 1.0
        self.require_teacher_ckpt = require_teacher_ckpt
        self.teacher_loaded = teacher_ckpt is not None
        teacher = self._build_teacher(teacher_config, teacher_ckpt)
        # plain attribute, not a registered sub-module: hidden from state_dict / parameters
        object.__setattr__(self, '_teacher', teacher)

    @staticmethod
    def _build_teacher(teacher_config: Union[str, Path, ConfigType],
                       teacher_ckpt: Optional[str]) -> nn.Module:
        if isinstance(teacher_config, (str, Path)):
            cfg = Config.fromfile(str(teacher_config))['model']
        else:
            cfg = teacher_config
            if 'model' in cfg:
                cfg = cfg['model']
        teacher = MODELS.build(copy.deepcopy(cfg))
        if teacher_ckpt is not None:
            load_checkpoint(teacher, teacher_ckpt, map_location='cpu', strict=True)
        else:
            print_log('DistillFasterRCNN: no teacher_ckpt given, the teacher keeps its random '
                      'initialisation', logger='current', level=30)
        for param in teacher.parameters():
            param.requires_grad_(False)
        return teacher.eval()

    @property
    def teacher(self) -> nn.Module:
        """The frozen teacher (not a sub-module of this model)."""
        return self._teacher

    def _apply(self, fn, *args, **kwargs):
        """Apply ``fn`` (device / dtype moves) to the student and the hidden teacher."""
        super()._apply(fn, *args, **kwargs)
        self._teacher._apply(fn, *args, **kwargs)
        return self

    def __deepcopy__(self, memo: dict) -> 'DistillFasterRCNN':
        """Copy the student; the copy shares the frozen teacher (e.g. mmengine's ``EMAHook``
        averages the student without holding a second teacher)."""
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        memo[id(self._teacher)] = self._teacher
        for key, value in self.__dict__.items():
            object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new

    def train(self, mode: bool = True) -> 'DistillFasterRCNN':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self._teacher.train(False)
        return self

    def student_inputs(self, batch_inputs: Tensor) -> Tensor:
        """The student's slice of the stacked input (unchanged when it already fits)."""
        if batch_inputs.shape[1] == len(self.student_channels):
            return batch_inputs
        index = torch.tensor(self.student_channels, device=batch_inputs.device)
        return batch_inputs.index_select(1, index)

    def _distill(self, name: str, stage: Optional[str] = None) -> bool:
        """Whether the distillation term ``name`` is on (in ``stage``) at the current weight."""
        return (self.distill_weight > 0 and name in self.distill_losses
                and (stage is None or stage in self.distill_stages))

    def set_distill_weight(self, weight: float) -> None:
        """Blend every distillation term with its plain loss: ``(1 - w) * plain + w * distill``.

        ``1`` is the paper's training, ``0`` trains the student on its plain losses only (the
        teacher is not run). Used by :class:`mmped.engine.hooks.DistillWeightHook`.

        Args:
            weight (float): ``w`` in [0, 1].
        """
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f'distillation weight must be in [0, 1], got {weight}')
        self.distill_weight = float(weight)

    def _term(self, name: str, stage: Optional[str], plain: Callable[[], Tensor],
              distilled: Callable[[], Tensor]) -> Tensor:
        """The loss of one term: plain, distilled, or their blend (:meth:`set_distill_weight`)."""
        if not self._distill(name, stage):
            return plain()
        w = self.distill_weight
        return distilled() if w == 1.0 else (1.0 - w) * plain() + w * distilled()

    # ------------------------------------------------------------------ teacher outputs
    @torch.no_grad()
    def _teacher_feats(self, batch_inputs: Tensor) -> Tuple[Tuple[Tensor, ...], Tensor]:
        """Teacher conv5 maps (per branch) and its per-image branch weights ``mu`` (N, B)."""
        x = self._teacher.extract_feat(batch_inputs)
        fusion = self._teacher.roi_head.fusion
        if fusion is not None:
            weights = fusion(x)
        else:
            weights = x[0].new_full((x[0].shape[0], len(x)), 1.0 / len(x))
        return x, weights

    @torch.no_grad()
    def _teacher_rpn_outs(self, t_x: Sequence[Tensor], weights: Tensor
                          ) -> Tuple[List[Tensor], List[Tensor]]:
        """Per-level teacher RPN logits / deltas, branches summed with weights ``mu``."""
        cls_out: List[Tensor] = []
        reg_out: List[Tensor] = []
        for m, (head, feat) in enumerate(zip(self._teacher.rpn_heads, t_x)):
            w = weights[:, m, None, None, None]
            for lvl, (cls, reg) in enumerate(zip(*head((feat, )))):
                if m == 0:
                    cls_out.append(w * cls)
                    reg_out.append(w * reg)
                else:
                    cls_out[lvl] = cls_out[lvl] + w * cls
                    reg_out[lvl] = reg_out[lvl] + w * reg
        return cls_out, reg_out

    # ------------------------------------------------------------------ losses
    def _reg_loss_kwargs(self, head: nn.Module) -> dict:
        """The stage's smooth-L1 ``beta`` for a regression distillation loss without one."""
        if getattr(self.distill_losses['reg'], 'beta', 0.0) is None:
            return dict(beta=float(getattr(head.loss_bbox, 'beta', 1.0)))
        return dict()

    def _cls_reg_losses(self, stage: str, head: nn.Module, student: _Preds,
                        teacher: Optional[_Preds], targets: _Targets) -> Tuple[Tensor, Tensor]:
        """Classification and regression losses of one stage (plain or distilled)."""
        t = targets
        loss_cls = self._term(
            'cls', stage,
            lambda: head.loss_cls(student.cls, t.labels, t.label_weights, avg_factor=t.cls_avg),
            lambda: self.distill_losses['cls'](student.cls, t.labels, teacher.cls,
                                               t.label_weights, avg_factor=t.cls_avg))
        if student.pos_reg.numel() == 0:
            return loss_cls, student.pos_reg.sum() * 0
        loss_reg = self._term(
            'reg', stage,
            lambda: head.loss_bbox(student.pos_reg, t.pos_targets, t.pos_weights,
                                   avg_factor=t.reg_avg),
            lambda: self.distill_losses['reg'](student.pos_reg, t.pos_targets, teacher.pos_reg,
                                               t.pos_weights, avg_factor=t.reg_avg,
                                               **self._reg_loss_kwargs(head)))
        return loss_cls, loss_reg

    @staticmethod
    def _flat_levels(maps: Sequence[Tensor], channels: int) -> Tensor:
        """Per-level (N, A * c, H, W) maps -> (sum_l N * H * W * A, c), mmdet's anchor order."""
        return torch.cat([m.permute(0, 2, 3, 1).reshape(-1, channels) for m in maps])

    def _rpn_losses(self, x: Tensor, t_rpn: Optional[Tuple[List[Tensor], List[Tensor]]],
                    rpn_samples: SampleList) -> Tuple[Dict[str, Tensor], tuple]:
        """Student RPN losses on mmdet's anchor targets (every level), plain or distilled."""
        head = self.rpn_heads[0]
        if head.use_sigmoid_cls:
            raise ValueError('RPN distillation needs a softmax RPN (loss_cls use_sigmoid=False)')
        cls_scores, bbox_preds = head((x, ))
        gt, gt_ignore, metas = unpack_gt_instances(rpn_samples)
        anchors, valid = head.get_anchors([c.shape[-2:] for c in cls_scores], metas,
                                          device=x.device)
        labels, label_weights, bbox_targets, bbox_weights, avg_factor = head.get_targets(
            anchors, valid, gt, metas, gt_ignore)
        c = head.cls_out_channels
        bbox_targets = torch.cat([b.reshape(-1, 4) for b in bbox_targets])
        bbox_weights = torch.cat([b.reshape(-1, 4) for b in bbox_weights])
        pos = bbox_weights.sum(dim=1) > 0
        targets = _Targets(torch.cat([v.reshape(-1) for v in labels]),
                           torch.cat([v.reshape(-1) for v in label_weights]),
                           bbox_targets[pos], bbox_weights[pos], avg_factor, avg_factor)
        student = _Preds(self._flat_levels(cls_scores, c), self._flat_levels(bbox_preds, 4)[pos])
        teacher = None
        if t_rpn is not None:
            if [t.shape for t in t_rpn[0]] != [s.shape for s in cls_scores]:
                raise ValueError(f'teacher RPN outputs {[tuple(t.shape) for t in t_rpn[0]]} '
                                 f'do not match the student RPN outputs '
                                 f'{[tuple(s.shape) for s in cls_scores]}')
            teacher = _Preds(self._flat_levels(t_rpn[0], c), self._flat_levels(t_rpn[1], 4)[pos])
        loss_cls, loss_reg = self._cls_reg_losses('rpn', head, student, teacher, targets)
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_reg), (cls_scores, bbox_preds)

    def _roi_losses(self, s_res: dict, t_res: Optional[dict],
                    sampling_results: list) -> Dict[str, Tensor]:
        """Box losses of the refinement stage on the sampled RoIs (plain or distilled)."""
        head = self.roi_head.bbox_head
        labels, label_weights, bbox_targets, bbox_weights = head.get_targets(
            sampling_results, self.roi_head.train_cfg, concat=True)
        pos = (labels >= 0) & (labels < head.num_classes)

        def select(pred: Tensor) -> Tensor:
            if head.reg_class_agnostic:
                return pred.view(pred.shape[0], -1)[pos]
            return pred.view(pred.shape[0], head.num_classes, -1)[pos, labels[pos]]

        targets = _Targets(labels, label_weights, bbox_targets[pos], bbox_weights[pos],
                           max(float((label_weights > 0).sum()), 1.0),
                           float(bbox_targets.shape[0]))
        student = _Preds(s_res['cls_score'], select(s_res['bbox_pred']))
        teacher = None if t_res is None else _Preds(t_res['cls_score'],
                                                    select(t_res['bbox_pred']))
        loss_cls, loss_reg = self._cls_reg_losses('roi', head, student, teacher, targets)
        return dict(loss_cls=loss_cls, loss_bbox=loss_reg,
                    acc=accuracy(s_res['cls_score'], labels))

    def _seg_loss(self, stage: str, head: nn.Module, logits: Tensor, targets: Tensor,
                  teacher_logits: Optional[Tensor]) -> Tensor:
        return self._term('seg', stage, lambda: head.loss_by_feat(logits, targets),
                          lambda: self.distill_losses['seg'](logits, targets, teacher_logits))

    def _check_can_train(self, batch_inputs: Tensor) -> None:
        if self.require_teacher_ckpt and not self.teacher_loaded:
            raise RuntimeError('DistillFasterRCNN: no teacher checkpoint was loaded; set '
                               'model.teacher_ckpt (or require_teacher_ckpt=False for a smoke '
                               'run with a random teacher)')
        if batch_inputs.shape[1] == len(self.student_channels):
            raise ValueError('distillation training needs the stacked multi-modal input, got '
                             f'{batch_inputs.shape[1]} channels')

    def _rpn_stage_loss(self, x: Tuple[Tensor], teacher: Optional[tuple],
                        batch_data_samples: SampleList) -> Tuple[Dict[str, Tensor], list]:
        """Region-proposal stage: RPN (+ segmentation) losses and the proposals."""
        t_rpn = None
        if teacher is not None and (self._distill('cls', 'rpn') or self._distill('reg', 'rpn')):
            t_rpn = self._teacher_rpn_outs(*teacher)
        losses, rpn_outs = self._rpn_losses(x[0], t_rpn, self.rpn_data_samples(batch_data_samples))
        proposals = self.rpn_heads[0].predict_by_feat(
            *rpn_outs, batch_img_metas=[s.metainfo for s in batch_data_samples],
            cfg=self._proposal_cfg(), rescale=False)
        if self.with_rpn_seg:
            seg_logits = self.rpn_seg_head(x[0])
            t_seg = None
            if self._distill('seg', 'rpn'):
                with torch.no_grad():
                    t_seg = self._teacher.rpn_seg_head(torch.cat(teacher[0], dim=1))
            losses['loss_rpn_seg'] = self._seg_loss(
                'rpn', self.rpn_seg_head, seg_logits,
                self.rpn_seg_targets(seg_logits, batch_data_samples), t_seg)
        return losses, proposals

    def _roi_stage_loss(self, x: Tuple[Tensor], teacher: Optional[tuple], proposals: list,
                        batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Refinement stage: student and teacher score the same sampled RoIs."""
        sampling_results = self.roi_head.sample(x, proposals, batch_data_samples)
        rois = bbox2roi([res.priors for res in sampling_results])
        s_res = self.roi_head._bbox_forward(x, rois)
        t_res = None
        if teacher is not None and any(self._distill(n, 'roi') for n in ('cls', 'reg', 'seg')):
            with torch.no_grad():
                t_res = self._teacher.roi_head._bbox_forward(teacher[0], rois)
        losses = self._roi_losses(s_res, t_res, sampling_results)
        if self.roi_head.with_seg:
            targets = self.roi_head.seg_targets(rois, s_res['seg_logits'], batch_data_samples)
            t_seg = t_res.get('seg_logits') if t_res is not None else None
            if self._distill('seg', 'roi') and t_seg is None:
                raise ValueError('RoI segmentation distillation needs a teacher RoI seg head')
            losses['loss_roi_seg'] = self._seg_loss('roi', self.roi_head.seg_head,
                                                    s_res['seg_logits'], targets, t_seg)
        return losses

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Student losses with distillation (Eq. (14)).

        Args:
            batch_inputs (Tensor): Stacked modalities of shape (N, C_total, H, W).
            batch_data_samples (list[DetDataSample]): Ground truth.

        Returns:
            dict[str, Tensor]: Loss components (see the class docstring for the keys).
        """
        self._check_can_train(batch_inputs)
        teacher = None
        if any(self._distill(name) for name in self.distill_losses):
            teacher = self._teacher_feats(batch_inputs)
        x = self.extract_feat(self.student_inputs(batch_inputs))
        losses: Dict[str, Tensor] = dict()
        if self._distill('feature'):
            losses['loss_feature'] = self.distill_weight * self.distill_losses['feature'](
                x[0], torch.cat(teacher[0], dim=1))
        rpn_losses, proposals = self._rpn_stage_loss(x, teacher, batch_data_samples)
        losses.update(rpn_losses)
        losses.update(self._roi_stage_loss(x, teacher, proposals, batch_data_samples))
        return losses

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Student detections from the visible slice of the input (see the base class)."""
        return super().predict(self.student_inputs(batch_inputs), batch_data_samples, rescale)

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: Optional[SampleList] = None) -> tuple:
        """Student raw outputs from the visible slice of the input."""
        return super()._forward(self.student_inputs(batch_inputs), batch_data_samples)
