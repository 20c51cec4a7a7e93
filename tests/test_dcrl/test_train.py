# Copyright (c) mmped contributors. All rights reserved.
"""Teacher and student training on a tiny KAIST-format dataset with the real configs, shrunk.

The teacher trains one iteration in-process (mmengine Runner) and saves the checkpoint the
distillation then loads; ``mim train`` runs one distillation iteration and ``mim test`` tests
the distilled student with the plain RGB-only student config.
"""
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim

from .kaist_tiny import make_tiny_kaist

CFG_DIR = REPO_ROOT / 'configs' / 'dcrl'
TEACHER = CFG_DIR / 'dcrl_vgg16_1xb2-100e_kaist.py'
DISTILL = CFG_DIR / 'dcrd_vgg16_1xb2-150e_kaist.py'
STUDENT = CFG_DIR / 'dcrd-student_vgg16_1xb2-150e_kaist-rgb.py'


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
    """One in-process training iteration of the teacher config; returns its work dir."""
    work_dir = tmp_path_factory.mktemp('teacher')
    cfg = Config.fromfile(str(TEACHER))
    cfg.merge_from_dict({**_data_options(kaist_root), **_model_options(2)})
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    cfg.dump(str(work_dir / 'teacher_config.py'))
    return work_dir


def test_teacher_train_step_on_tiny_kaist(teacher_run):
    ckpt = torch.load(teacher_run / 'epoch_1.pth', map_location='cpu', weights_only=False)
    keys = ckpt['state_dict'].keys()
    assert any(k.startswith('backbone.cfls.stage5') for k in keys)
    assert any(k.startswith('roi_head.fusion') for k in keys)
    assert 'optimizer' in ckpt


def test_mim_train_distill_and_mim_test_student(teacher_run, kaist_root, tmp_path):
    work = tmp_path / 'distill'
    opts = {**_data_options(kaist_root), **_model_options(1),
            'model.teacher_config': str(teacher_run / 'teacher_config.py'),
            'model.teacher_ckpt': str(teacher_run / 'epoch_1.pth'),
            'model.loss_feature.student_channels': 16,
            'model.loss_feature.teacher_channels': 32}
    run_mim(['train', 'mmped', str(DISTILL), '--work-dir', str(work), *cfg_options_cli(opts)])
    ckpt = work / 'epoch_1.pth'
    state = torch.load(ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert not any('teacher' in k for k in state)
    assert 'distill_losses.feature.adaptation.weight' in state
    log = next(work.rglob('*.log')).read_text()
    assert 'loss_feature' in log and 'loss_roi_seg' in log
    # the distilled student tested with the plain RGB-only config
    test_opts = {**_data_options(kaist_root), **_model_options(1)}
    out = run_mim(['test', 'mmped', str(STUDENT), '--checkpoint', str(ckpt), '--work-dir',
                   str(tmp_path / 'test'), *cfg_options_cli(test_opts)])
    text = out.stdout + out.stderr
    assert 'pedestrian/Reasonable-all' in text
