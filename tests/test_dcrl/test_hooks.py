# Copyright (c) mmped contributors. All rights reserved.
"""Distillation lifecycle: weight schedule, blended losses, EMA without a second teacher."""
import copy
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.model import ExponentialMovingAverage

from mmped.engine.hooks import DistillWeightHook
from mmped.registry import HOOKS, MODELS
from mmped.utils import register_all_modules

from .conftest import C5, make_samples, tiny_model_cfg, tiny_student_cfg

register_all_modules(init_default_scope=True)
FEATURE = dict(type='FeatureHintLoss', student_channels=C5, teacher_channels=2 * C5)
CLS = dict(type='SoftHardCrossEntropyLoss', zeta=0.5)


def _student(**losses):
    model = MODELS.build(tiny_student_cfg(tiny_model_cfg(), **losses))
    model.init_weights()
    return model


def _losses(model, seed=3):
    torch.manual_seed(seed)
    inputs = torch.randn(2, 6, 64, 80, generator=torch.Generator().manual_seed(1))
    return model.loss(inputs, make_samples())


def _runner(model, epoch):
    return SimpleNamespace(model=model, epoch=epoch, logger=MagicMock(),
                           message_hub=MagicMock())


def test_weight_schedule_milestones():
    hook = HOOKS.build(dict(type='DistillWeightHook', schedule=[(10, 0.0), (4, 0.5)]))
    assert [hook.weight_at(e) for e in (0, 3, 4, 9, 10, 99)] == [1.0, 1.0, 0.5, 0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match='weights in'):
        DistillWeightHook([(1, 1.5)])


def test_distill_weight_blends_and_stops_distillation():
    model = _student(loss_feature=FEATURE, loss_cls=CLS)
    full = _losses(model)
    hook = DistillWeightHook([(1, 0.5), (2, 0.0)])
    hook.before_train_epoch(_runner(model, 1))
    half = _losses(model)
    # feature hint scaled by w; classification (1 - w) * plain + w * distilled
    torch.testing.assert_close(half['loss_feature'], 0.5 * full['loss_feature'])
    hook.before_train_epoch(_runner(model, 2))
    assert model.distill_weight == 0.0
    called = []
    model._teacher_feats = lambda *a: called.append(1)  # the teacher must not run any more
    plain = _losses(model)
    assert 'loss_feature' not in plain and not called
    reference = _student()  # the same student without distillation losses
    reference.load_state_dict(model.state_dict(), strict=False)
    torch.testing.assert_close(plain['loss_rpn_cls'], _losses(reference)['loss_rpn_cls'])
    torch.testing.assert_close(
        half['loss_cls'], 0.5 * plain['loss_cls'] + 0.5 * full['loss_cls'])
    with pytest.raises(TypeError, match='not a distillation model'):
        hook.before_train_epoch(_runner(torch.nn.Linear(1, 1), 0))


def test_ema_of_the_student_shares_the_frozen_teacher():
    model = _student(loss_feature=FEATURE)
    ema = ExponentialMovingAverage(model, momentum=0.5)
    assert ema.module.teacher is model.teacher
    teacher_params = {id(p) for p in model.teacher.parameters()}
    assert not teacher_params & {id(p) for p in ema.module.parameters()}
    # the student's parameters were copied (EMA updates them, not the model's)
    src = dict(model.named_parameters())['rpn_heads.0.rpn_cls.weight']
    dst = dict(ema.module.named_parameters())['rpn_heads.0.rpn_cls.weight']
    assert dst is not src and torch.equal(dst, src)
    clone = copy.deepcopy(model)
    assert clone.teacher is model.teacher and clone.roi_head is not model.roi_head
