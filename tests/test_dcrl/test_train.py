# Copyright (c) mmped contributors. All rights reserved.
"""Teacher, distillation and fine-tuning with the real configs, shrunk, on tiny data in the
real formats, driven through ``mim`` outside the checkout.

``mim train`` runs 2 teacher iterations (original tree annotations, a train list with
person-less frames), 2 distillation iterations with the lifecycle hooks (teacher validated
before training, distillation re-weighted) on the paired annotation set, and the NightOwls
fine-tuning of the distilled student; ``mim test`` tests the student with the RGB-only config.
"""
from pathlib import Path
from typing import Dict

import pytest
import torch

from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim

from .kaist_tiny import make_tiny_kaist
from .nightowls_tiny import make_tiny_nightowls

CFG_DIR = REPO_ROOT / 'configs' / 'dcrl'
TEACHER = CFG_DIR / 'dcrl_vgg16_1xb2-100e_kaist.py'
DISTILL = CFG_DIR / 'dcrd_vgg16_1xb2-150e_kaist.py'
STUDENT = CFG_DIR / 'dcrd-student_vgg16_1xb2-150e_kaist-rgb.py'
FT_NIGHTOWLS = CFG_DIR / 'dcrd-ft_vgg16_1xb2-12e_nightowls.py'


def _data_options(root: Path) -> Dict[str, object]:
    opts: Dict[str, object] = {
        'train_dataloader.batch_size': 3,
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.save_best': None,
        'default_hooks.logger.interval': 1,
        # the configs' Resize (no-op at KAIST's 640 x 512) at the tiny size instead
        'train_dataloader.dataset.pipeline.2.scale': (80, 64),
        'val_dataloader.dataset.pipeline.1.scale': (80, 64),
        'test_dataloader.dataset.pipeline.1.scale': (80, 64),
        'val_evaluator.ann_file': str(root / 'annotations' / 'test.json'),
        'test_evaluator.ann_file': str(root / 'annotations' / 'test.json'),
    }
    for loader, ann, split in (('train_dataloader', 'annotations/train', 'imageSets/train.txt'),
                               ('val_dataloader', 'annotations/test.json',
                                'imageSets/test.txt'),
                               ('test_dataloader', 'annotations/test.json',
                                'imageSets/test.txt')):
        opts.update({
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.data_root': str(root),
            f'{loader}.dataset.ann_file': ann,
            f'{loader}.dataset.image_set': split,
            f'{loader}.dataset.img_template': '{set}/{video}/{modality}/{frame}.png',
        })
    return opts


def _model_options(num_modalities: int) -> Dict[str, object]:
    """Tiny widths for the VGG16 Faster R-CNN of the configs (64 x 80 inputs)."""
    c5 = 16
    opts: Dict[str, object] = {
        'model.backbone.widths': [4, 8, 8, 16, c5],
        'model.backbone.num_convs': [1, 1, 1, 1, 1],
        'model.backbone.pretrained': None,
        'model.rpn_head.in_channels': c5,
        'model.rpn_head.feat_channels': c5,
        'model.rpn_seg_head.in_channels': c5 * num_modalities,
        'model.roi_head.bbox_roi_extractor.out_channels': c5,
        'model.roi_head.bbox_head.in_channels': c5,
        'model.roi_head.bbox_head.fc_out_channels': 16,
        'model.roi_head.seg_head.in_channels': c5 * num_modalities,
    }
    if num_modalities > 1:
        opts.update({'model.roi_head.fusion.in_channels': c5,
                     'model.roi_head.fusion.hidden_channels': [8]})
    return opts



@pytest.fixture(scope='module')
def kaist_root(tmp_path_factory) -> Path:
    return make_tiny_kaist(tmp_path_factory.mktemp('kaist_tiny'))


@pytest.fixture(scope='module')
def teacher_run(kaist_root, tmp_path_factory) -> Path:
    """``mim train`` of the teacher config: 2 iterations (5 frames, 2 of them person-less,
    batch 3) on the original-layout annotations; returns its work dir."""
    work_dir = tmp_path_factory.mktemp('teacher')
    opts = {**_data_options(kaist_root), **_model_options(2),
            'train_dataloader.dataset.ann_file': 'annotations/train-original',
            'train_dataloader.dataset.image_set': 'imageSets/train-with-empty.txt',
            # the literal MAF flattening of Eq. (10), sized from the input size
            'model.roi_head.fusion.pool_size': None,
            'model.roi_head.fusion.input_size': (64, 80)}
    out = run_mim(['train', 'mmped', str(TEACHER), '--work-dir', str(work_dir),
                   *cfg_options_cli(opts)])
    text = out.stdout + out.stderr
    assert '5 of 5 frames kept' in text and '2 of them without a non-ignored person' in text
    return work_dir


def test_teacher_trains_two_iterations_on_tiny_kaist(teacher_run):
    ckpt = torch.load(teacher_run / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 2
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('backbone.cfls.stage5') for k in keys)
    assert ckpt['state_dict']['roi_head.fusion.mlp.1.weight'].shape[1] == 2 * 16 * 4 * 5
    assert 'optimizer' in ckpt


def test_mim_train_distill_and_mim_test_student(teacher_run, kaist_root, tmp_path):
    work = tmp_path / 'distill'
    opts = {**_data_options(kaist_root), **_model_options(1),
            'train_dataloader.batch_size': 2,  # 3 frames: 2 iterations
            'train_dataloader.dataset.ann_file': 'annotations_paired',
            'model.teacher_config': str(teacher_run / TEACHER.name),
            'model.teacher_ckpt': str(teacher_run / 'epoch_1.pth'),
            'model.loss_feature.student_channels': 16,
            'model.loss_feature.teacher_channels': 32,
            # the hooks of the config: teacher validated first, distillation weight 0.5
            'custom_hooks.1.schedule': [(0, 0.5)]}
    run_mim(['train', 'mmped', str(DISTILL), '--work-dir', str(work), *cfg_options_cli(opts)])
    ckpt = work / 'epoch_1.pth'
    state = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert state['meta']['iter'] == 2
    assert not any('teacher' in k for k in state['state_dict'])
    assert 'distill_losses.feature.adaptation.weight' in state['state_dict']
    log = next(work.rglob('*.log')).read_text()
    assert 'loss_feature' in log and 'loss_roi_seg' in log
    assert 'teacher before training: teacher/pedestrian/Reasonable-all:' in log
    assert 'distillation weight 1 -> 0.5' in log
    # the distilled student tested with the plain RGB-only config
    test_opts = {**_data_options(kaist_root), **_model_options(1)}
    out = run_mim(['test', 'mmped', str(STUDENT), '--checkpoint', str(ckpt), '--work-dir',
                   str(tmp_path / 'test'), *cfg_options_cli(test_opts)])
    text = out.stdout + out.stderr
    assert 'pedestrian/Reasonable-all' in text


def test_mim_train_nightowls_finetuning(tmp_path):
    """Table V: the student fine-tuned on NightOwls (official json layout), 2 iterations."""
    root = make_tiny_nightowls(tmp_path / 'nightowls')
    work = tmp_path / 'ft'
    opts = {**_model_options(1),
            'train_dataloader.batch_size': 2,
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1,
            'default_hooks.checkpoint.save_best': None,
            'default_hooks.logger.interval': 1,
            'train_dataloader.dataset.pipeline.2.scale': (80, 64),
            'val_dataloader.dataset.pipeline.1.scale': (80, 64)}
    for loader in ('train_dataloader', 'val_dataloader'):
        opts.update({f'{loader}.num_workers': 0, f'{loader}.persistent_workers': False,
                     f'{loader}.dataset.data_root': str(root)})
    run_mim(['train', 'mmped', str(FT_NIGHTOWLS), '--work-dir', str(work),
             *cfg_options_cli(opts)])
    state = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert state['meta']['iter'] == 2
    log = next(work.rglob('*.log')).read_text()
    assert 'pedestrian/Reasonable' in log
