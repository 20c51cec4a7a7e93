# Copyright (c) mmped contributors. All rights reserved.
"""make_person_masks.py on real Market-1501 / PA-100K crops, its files feeding Da-HAR."""
import importlib.util
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmped.engine.hooks import PersonMaskCheckHook, count_mask_files
from mmped.registry import DATASETS
from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim, shared_file

from .conftest import write_rap
from .test_mim import SHRINK, _loader_options

CONFIG = REPO_ROOT / 'configs' / 'dahar' / 'dahar_r101_1xb32-30e_rap.py'
TOOL = REPO_ROOT / 'tools' / 'dataset_converters' / 'make_person_masks.py'

# a randomly initialised Mask R-CNN with a ResNet-18 of widths 8..64 and one class (person),
# 128-pixel test inputs, at most 5 instances per crop
TINY_SEG = {
    'model.backbone.depth': 18, 'model.backbone.base_channels': 8,
    'model.backbone.init_cfg': None,
    'model.neck.in_channels': [8, 16, 32, 64], 'model.neck.out_channels': 16,
    'model.rpn_head.in_channels': 16, 'model.rpn_head.feat_channels': 16,
    'model.roi_head.bbox_roi_extractor.out_channels': 16,
    'model.roi_head.bbox_head.in_channels': 16, 'model.roi_head.bbox_head.fc_out_channels': 32,
    'model.roi_head.bbox_head.num_classes': 1, 'model.roi_head.mask_head.num_classes': 1,
    'model.roi_head.mask_roi_extractor.out_channels': 16,
    'model.roi_head.mask_head.in_channels': 16, 'model.roi_head.mask_head.conv_out_channels': 16,
    'model.test_cfg.rcnn.score_thr': 0.0, 'model.test_cfg.rcnn.max_per_img': 5,
    'model.test_cfg.rpn.nms_pre': 200, 'model.test_cfg.rpn.max_per_img': 50,
    'test_dataloader.dataset.pipeline.1.scale': (128, 128),
}


def _tool():
    spec = importlib.util.spec_from_file_location('make_person_masks', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _real_rap(root):
    """RAP-format annotations whose 6 images are real Market-1501 and PA-100K crops."""
    crops = [shared_file('market1501', 'fastreid_test_data', n) for n in
             ('0022_c6s1_002976_01.jpg', '0027_c2s2_091032_02.jpg', '0032_c6s1_002851_01.jpg')]
    crops += [shared_file('pa100k', 'data', f'00000{i}.jpg') for i in (1, 2, 3)]
    write_rap(root, num_images=6)
    # the partition's train index is images 0-2: 0 and 1 train, 2 is the seeded hold-out
    for i, src in enumerate(crops):
        cv2.imwrite(str(root / 'RAP_dataset' / f'CAM01_{i:04d}.png'), cv2.imread(str(src)))
    return root


def _cfg_options(root):
    return {'train_dataloader.dataset.data_root': str(root),
            'val_dataloader.dataset.data_root': str(root),
            'test_dataloader.dataset.data_root': str(root),
            'train_dataloader.dataset.pipeline.1.data_root': str(root)}


def _run_tool(root, *extra):
    argv = [str(CONFIG), '--random-init', '--score-thr', '0', '--device', 'cpu',
            '--splits', 'train', 'val', *extra, *cfg_options_cli(_cfg_options(root)),
            *cfg_options_cli(TINY_SEG)]
    # cfg_options_cli starts with '--cfg-options': rename the second group
    second = argv.index('--cfg-options', argv.index('--cfg-options') + 1)
    argv[second] = '--seg-cfg-options'
    torch.manual_seed(0)
    return _tool().main(argv)


def _train_dataset(root):
    cfg = Config.fromfile(str(CONFIG))
    cfg.merge_from_dict(_cfg_options(root))
    with DefaultScope.overwrite_default_scope('mmped'):
        return DATASETS.build(cfg.train_dataloader.dataset)


@pytest.mark.slow
@pytest.mark.realdata
def test_tool_writes_masks_where_dahar_reads_them_and_dahar_trains_on_them(tmp_path):
    root = _real_rap(tmp_path / 'rap')
    masks = root / 'person_masks'
    counts = _run_tool(root)
    # train (2) + hold-out val (1): every crop got the best-scoring person instance
    assert counts == dict(samples=3, written=3, no_person=0, kept=0)
    for i in range(3):
        mask = cv2.imread(str(masks / f'CAM01_{i:04d}.png'), cv2.IMREAD_UNCHANGED)
        img = cv2.imread(str(root / 'RAP_dataset' / f'CAM01_{i:04d}.png'))
        assert mask.shape == img.shape[:2] and set(np.unique(mask)) <= {0, 255}
        assert 0 < (mask > 0).sum() < mask.size  # an instance mask, not a box over the crop
    assert not (masks / 'CAM01_0003.png').exists()  # test images were not asked for
    before = (masks / 'CAM01_0000.png').read_bytes()
    with pytest.raises(FileExistsError, match='3 of 3 mask files exist'):
        _run_tool(root)
    assert _run_tool(root, '--skip-existing') == dict(samples=3, written=0, no_person=0,
                                                      kept=3)
    assert (masks / 'CAM01_0000.png').read_bytes() == before
    dataset = _train_dataset(root)
    assert count_mask_files(dataset) == (2, 2)

    # the tool's files feed Da-HAR through `mim train` / `mim test`
    opts = {**SHRINK, 'model.head.num_classes': 5, 'model.side_head.num_classes': 5,
            **_loader_options(root, {'1.data_root': str(root), '2.scale': (32, 64),
                                     '3.crop_sizes': [64, 48], '3.scale': (24, 48)},
                              {'1.scale': (32, 64)})}
    work = tmp_path / 'work'
    out = run_mim(['train', 'mmped', CONFIG, '--work-dir', work, *cfg_options_cli(opts)],
                  timeout=1500)  # a loaded shared CPU machine
    log = out.stdout + out.stderr + ''.join(p.read_text() for p in work.rglob('*.log'))
    assert '2 of 2 training samples have a person mask file; 0 fall back' in log
    out = run_mim(['test', 'mmped', CONFIG, '--checkpoint', work / 'epoch_1.pth',
                   '--work-dir', work / 'test', *cfg_options_cli(opts)],
                  timeout=1500)  # a loaded shared CPU machine
    assert 'attr/mA' in out.stdout + out.stderr


def _hook_runner(dataset, with_mask=True, cfg=None):
    model = torch.nn.Module()
    model.side_head = torch.nn.Module()
    model.side_head.with_mask = with_mask
    return SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=dataset),
                           cfg=cfg or {})


def test_check_hook_refuses_when_every_sample_falls_back(tmp_path):
    root = write_rap(tmp_path / 'rap', num_images=6)
    dataset = _train_dataset(root)
    assert count_mask_files(dataset) == (0, 2)
    with pytest.raises(RuntimeError, match='allow_box_masks=True'):
        PersonMaskCheckHook().before_train(_hook_runner(dataset))
    # explicit opt-outs, and models without a supervised mask branch
    PersonMaskCheckHook().before_train(_hook_runner(dataset, cfg={'allow_box_masks': True}))
    PersonMaskCheckHook(allow_box_masks=True).before_train(_hook_runner(dataset))
    PersonMaskCheckHook().before_train(_hook_runner(dataset, with_mask=False))
    # one file is enough to train (the rest falls back, and the log says how many)
    (root / 'person_masks').mkdir()
    cv2.imwrite(str(root / 'person_masks' / 'CAM01_0000.png'), np.full((64, 32), 255, np.uint8))
    assert count_mask_files(dataset) == (1, 2)  # train: images 0 and 1 (2 is the hold-out)
    PersonMaskCheckHook().before_train(_hook_runner(dataset))
