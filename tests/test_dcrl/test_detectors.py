# Copyright (c) mmped contributors. All rights reserved.
"""Teacher (two-stream) and student / distillation detectors on tiny inputs."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.runner import load_checkpoint, save_checkpoint

from mmped.registry import MODELS
from mmped.utils import register_all_modules

from .conftest import C5, make_samples, tiny_model_cfg, tiny_student_cfg

register_all_modules(init_default_scope=True)

ALL_DISTILL = dict(
    loss_feature=dict(type='FeatureHintLoss', student_channels=C5, teacher_channels=2 * C5),
    loss_cls=dict(type='SoftHardCrossEntropyLoss', zeta=0.5),
    loss_reg=dict(type='BoundedRegressionLoss', eps=0.5),
    loss_seg=dict(type='SegDistillLoss', xi=0.5))


def _build(cfg):
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _inputs(num=2, channels=6):
    torch.manual_seed(1)
    return torch.randn(num, channels, 64, 80)


def test_teacher_losses_and_gradients():
    torch.manual_seed(0)
    model = _build(tiny_model_cfg())
    losses = model.loss(_inputs(), make_samples())
    expected = {'loss_rpn_cls_visible', 'loss_rpn_bbox_visible', 'loss_rpn_cls_lwir',
                'loss_rpn_bbox_lwir', 'loss_rpn_seg', 'loss_cls', 'loss_bbox', 'loss_roi_seg'}
    assert expected <= set(losses)
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    for name in ('backbone.cfls.stage1.shared_conv.weight',
                 'backbone.streams.1.0.0.weight', 'rpn_heads.1.rpn_cls.weight',
                 'roi_head.bbox_heads.1.fc_cls.weight', 'roi_head.fusion.mlp.1.weight',
                 'roi_head.seg_head.conv_seg.weight', 'rpn_seg_head.conv_seg.weight'):
        param = dict(model.named_parameters())[name]
        assert param.grad is not None and param.grad.abs().sum() > 0, name


@pytest.mark.parametrize('mode', ['attention', 'average', 'linear'])
def test_teacher_fusion_weights_per_image(mode):
    model = _build(tiny_model_cfg(fusion_mode=mode))
    feats = model.extract_feat(_inputs(3))
    mu = model.roi_head.fusion(feats)
    assert mu.shape == (3, 2)
    torch.testing.assert_close(mu.sum(1), torch.ones(3))
    # the fused RoI outputs are the mu-weighted branch outputs of each RoI's image
    rois = torch.tensor([[0, 0, 0, 30, 60], [2, 10, 5, 40, 50.0]])
    res = model.roi_head._bbox_forward(feats, rois)
    for r, img in enumerate((0, 2)):
        manual = sum(mu[img, m] * res['branch_cls_scores'][m][r] for m in range(2))
        torch.testing.assert_close(res['cls_score'][r], manual)


def test_teacher_predict_and_table_vi_switches():
    model = _build(tiny_model_cfg(rpn_seg=False, roi_seg=False))
    losses = model.loss(_inputs(), make_samples())
    assert 'loss_rpn_seg' not in losses and 'loss_roi_seg' not in losses
    model.eval()
    with torch.no_grad():
        results = model.predict(_inputs(), make_samples())
    assert len(results) == 2
    pred = results[0].pred_instances
    assert pred.bboxes.shape[1] == 4 and len(pred.bboxes) == len(pred.scores) <= 20
    with torch.no_grad():
        outs = model._forward(_inputs())
    assert len(outs) == 4  # 2 branches x (rpn cls, rpn reg), fused cls_score, bbox_pred
    assert outs[2].shape[1] == 2 and outs[3].shape[1] == 4


def test_overfit_tiny_batch():
    """A few Adam steps on one batch lower the teacher's total loss."""
    torch.manual_seed(0)
    model = _build(tiny_model_cfg())
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    inputs, samples = _inputs(), make_samples()
    values = []
    for _ in range(12):
        torch.manual_seed(0)  # same RPN / RoI sampling every step
        total, _ = model.parse_losses(model.loss(inputs, samples))
        optim.update_params(total)
        values.append(total.item())
    assert values[-1] < 0.8 * values[0]


def test_distill_teacher_hidden_frozen_and_eval(tmp_path):
    teacher_cfg = tiny_model_cfg()
    teacher = _build(teacher_cfg)
    ckpt = tmp_path / 'teacher.pth'
    save_checkpoint(dict(state_dict=teacher.state_dict()), str(ckpt))
    model = _build(tiny_student_cfg(teacher_cfg, teacher_ckpt=str(ckpt), **ALL_DISTILL))
    # loaded from the checkpoint
    for key, value in teacher.state_dict().items():
        torch.testing.assert_close(model.teacher.state_dict()[key], value)
    # hidden from the module tree, optimiser and state dict
    assert not any('teacher' in k for k in model.state_dict())
    assert all(p.data_ptr() not in {q.data_ptr() for q in model.teacher.parameters()}
               for p in model.parameters())
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    n_optim = sum(p.numel() for g in optim.optimizer.param_groups for p in g['params'])
    assert n_optim == sum(p.numel() for p in model.parameters())
    model.train()
    assert model.training and not model.teacher.training
    before = copy.deepcopy(model.teacher.state_dict())
    losses = model.loss(_inputs(), make_samples())
    assert {'loss_feature', 'loss_rpn_cls', 'loss_rpn_bbox', 'loss_rpn_seg', 'loss_cls',
            'loss_bbox', 'loss_roi_seg'} <= set(losses)
    optim.backward(model.parse_losses(losses)[0])
    assert model.distill_losses['feature'].adaptation.weight.grad is not None
    assert all(p.grad is None for p in model.teacher.parameters())
    optim.step()
    assert not any(p.requires_grad for p in model.teacher.parameters())
    for key, value in model.teacher.state_dict().items():
        torch.testing.assert_close(value, before[key])
    # dtype / device moves follow the student
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64


def test_distill_losses_replace_the_plain_ones():
    """Table IV: a term off gives the student's plain loss, a term on changes it."""
    teacher_cfg = tiny_model_cfg()
    torch.manual_seed(0)
    base = _build(tiny_student_cfg(teacher_cfg))
    torch.manual_seed(0)
    kd = _build(tiny_student_cfg(teacher_cfg, loss_cls=ALL_DISTILL['loss_cls'],
                                 distill_stages=('roi', )))
    kd.load_state_dict(base.state_dict())
    kd.teacher.load_state_dict(base.teacher.state_dict())
    torch.manual_seed(3)
    plain = base.loss(_inputs(), make_samples())
    torch.manual_seed(3)
    distilled = kd.loss(_inputs(), make_samples())
    assert 'loss_feature' not in distilled
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_bbox', 'loss_rpn_seg', 'loss_roi_seg'):
        torch.testing.assert_close(distilled[key], plain[key])
    assert not torch.allclose(distilled['loss_cls'], plain['loss_cls'])
    # the plain student (no distillation at all) equals the non-distillation detector
    student = _build(tiny_model_cfg(num_modalities=1))
    missing = student.load_state_dict(base.state_dict(), strict=True)
    assert not missing.missing_keys
    torch.manual_seed(3)
    reference = student.loss(_inputs()[:, :3], make_samples())
    for key, value in plain.items():  # mmdet's own RPN / RoI loss path gives the same values
        torch.testing.assert_close(sum(value) if isinstance(value, list) else value,
                                   sum(reference[key]) if isinstance(reference[key], list)
                                   else reference[key])
    with pytest.raises(ValueError, match='stacked multi-modal'):
        kd.loss(_inputs(channels=3), make_samples())


def test_student_checkpoint_loads_into_plain_student(tmp_path):
    model = _build(tiny_student_cfg(tiny_model_cfg(), **ALL_DISTILL))
    ckpt = tmp_path / 'student.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(ckpt))
    saved = torch.load(ckpt, weights_only=False)['state_dict']
    assert not any(k.startswith(('teacher', '_teacher')) for k in saved)
    assert all(not k.startswith('distill_losses') or 'adaptation' in k for k in saved)
    cfg = tiny_model_cfg(num_modalities=1)
    cfg['data_preprocessor'] = dict(type='mmdet.DetDataPreprocessor', mean=[100.0] * 3,
                                    std=[50.0] * 3, pad_size_divisor=16)
    plain = MODELS.build(cfg)
    load_checkpoint(plain, str(ckpt), map_location='cpu', strict=False)
    for key, value in plain.state_dict().items():
        torch.testing.assert_close(value, saved[key])
    model.eval()
    plain.eval()
    # same detections from the 6-channel input (distiller) and its visible part (plain)
    inputs = _inputs()
    with torch.no_grad():
        a = model.predict(inputs, make_samples())[0].pred_instances
        b = plain.predict(inputs[:, :3], make_samples())[0].pred_instances
    torch.testing.assert_close(a.bboxes, b.bboxes)
    torch.testing.assert_close(a.scores, b.scores)


def test_distill_refuses_to_train_without_teacher_checkpoint():
    model = _build(tiny_student_cfg(tiny_model_cfg(), require_teacher_ckpt=True,
                                    **ALL_DISTILL))
    with pytest.raises(RuntimeError, match='no teacher checkpoint'):
        model.loss(_inputs(), make_samples())
    with pytest.raises(ValueError, match='one-stream backbone'):
        cfg = tiny_student_cfg(tiny_model_cfg())
        two = tiny_model_cfg()
        cfg.update(backbone=two['backbone'], roi_head=two['roi_head'],
                   rpn_seg_head=two['rpn_seg_head'])
        MODELS.build(cfg)


def test_student_and_teacher_score_the_same_rois():
    model = _build(tiny_student_cfg(tiny_model_cfg(), **ALL_DISTILL))
    seen = {}
    for name, head in (('student', model.roi_head), ('teacher', model.teacher.roi_head)):
        original = head._bbox_forward

        def record(x, rois, _name=name, _original=original):
            seen[_name] = rois.clone()
            return _original(x, rois)

        head._bbox_forward = record
    model.loss(_inputs(), make_samples())
    assert seen['student'].shape[0] > 0
    torch.testing.assert_close(seen['student'], seen['teacher'])
