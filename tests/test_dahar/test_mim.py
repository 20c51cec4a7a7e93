# Copyright (c) mmped contributors. All rights reserved.
"""``mim train`` / ``mim test`` of the Da-HAR configs on tiny WIDER- and RAP-format data."""
import json
import runpy
import sys
from pathlib import Path

import pytest

from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim

CONFIGS = REPO_ROOT / 'configs' / 'dahar'

# a ResNet-18 of widths 8..64 and 64-pixel inputs instead of ResNet-101 at 224
SHRINK = {
    'model.backbone.depth': 18,
    'model.backbone.init_cfg': None,  # ResNet-18: no ResNet-101 ImageNet weights
    'model.backbone.stem_channels': 8,
    'model.backbone.base_channels': 8,
    'model.head.in_channels': 64,
    'model.side_neck.out_channels': 32,
    'model.side_neck.num_blocks': 1,
    'model.side_head.in_channels': 32,
    'model.side_head.attention_channels': 16,
    'model.side_head.num_mask_blocks': 1,
    'train_cfg.max_epochs': 1,
    'train_cfg.val_interval': 1,
    'default_hooks.logger.interval': 1,
    'default_hooks.checkpoint.save_best': None,
}


def _loader_options(root: Path, train_steps: dict, test_steps: dict) -> dict:
    opts = {}
    for split in ('train', 'val', 'test'):
        key = f'{split}_dataloader'
        opts.update({f'{key}.dataset.data_root': str(root), f'{key}.batch_size': 2,
                     f'{key}.num_workers': 0, f'{key}.persistent_workers': False})
        steps = train_steps if split == 'train' else test_steps
        opts.update({f'{key}.dataset.pipeline.{k}': v for k, v in steps.items()})
    return opts



def _logged(work: Path, key: str) -> bool:
    return any(key in json.loads(line) for p in work.rglob('*.json')
               for line in p.read_text().splitlines() if line.strip())


@pytest.mark.parametrize('dataset', ['wider-attribute', 'rap'])
def test_mim_train_test(dataset, tmp_path, write_wider, write_rap, monkeypatch):
    if dataset == 'wider-attribute':
        root = write_wider(tmp_path / 'wider', masks=True)
        config = CONFIGS / 'dahar_r101-mixed_1xb32-30e_wider-attribute.py'
        # steps: 2 LoadPersonMask, 3 Resize, 4 RandomCornerCrop | test: 2 Resize
        # the fixture writes its masks under masks/ (found: PersonMaskCheckHook would refuse
        # a run where every sample falls back to a box)
        train = {'2.data_root': str(root), '2.mask_dir': 'masks', '3.scale': (64, 64),
                 '4.crop_sizes': [64, 48],
                 '4.scale': 56}
        test = {'2.scale': (64, 64)}
        key = 'wider_attr/mAP'
        extra = {'model.head.num_classes': 14, 'model.side_head.num_classes': 14}
    else:
        root = write_rap(tmp_path / 'rap')
        config = CONFIGS / 'dahar_r101-wbce_1xb32-30e_rap.py'
        # steps: 1 LoadPersonMask, 2 Resize, 3 RandomCornerCrop | test: 1 Resize
        train = {'1.data_root': str(root), '2.scale': (32, 64), '3.crop_sizes': [64, 48],
                 '3.scale': (24, 48)}
        test = {'1.scale': (32, 64)}
        key = 'attr/mA'
        # no mask files here: train on box masks through the explicit opt-out
        extra = {'model.head.num_classes': 5, 'model.side_head.num_classes': 5,
                 'allow_box_masks': True}
    opts = {**SHRINK, **extra, **_loader_options(root, train, test)}
    work = tmp_path / 'work'
    run_mim(['train', 'mmped', config, '--work-dir', work, *cfg_options_cli(opts)])
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()
    assert _logged(work, 'side_loss_mask') and _logged(work, 'main_loss')
    test_cli = ['test', 'mmped', config, '--checkpoint', ckpt, '--work-dir', work / 'test']
    if dataset == 'wider-attribute':
        # the paper's "Crops" test: five-crop average through TestTimeAug (`--tta`)
        opts['tta_pipeline.2.scale'] = (64, 64)
        opts.update({f'tta_pipeline.3.transforms.0.{i}.crop_size': 48 for i in range(5)})
        test_cli.append('--tta')
    out = run_mim([*test_cli, *cfg_options_cli(opts)])
    assert key in out.stdout + out.stderr
    if dataset == 'wider-attribute':
        _check_vis_tool(config, ckpt, root, opts, tmp_path, monkeypatch)


def _check_vis_tool(config, ckpt, root, opts, tmp_path, monkeypatch):
    """tools/analysis/vis_dahar_masks.py on one person of the tiny dataset (in process)."""
    out_file = tmp_path / 'masks.png'
    img = sorted((root / 'Image' / 'train' / 'scene').glob('*.jpg'))[0]
    model_opts = {k: v for k, v in opts.items() if k.startswith('model.')}
    argv = [str(config), str(ckpt), str(img), '--bbox', '30', '5', '54', '41', '--out-file',
            str(out_file), '--input-size', '64', '--topk', '2', *cfg_options_cli(model_opts)]
    monkeypatch.setattr(sys, 'argv', ['vis_dahar_masks.py', *argv])
    runpy.run_path(str(REPO_ROOT / 'tools' / 'analysis' / 'vis_dahar_masks.py'),
                   run_name='__main__')
    import matplotlib.image as mpimg
    image = mpimg.imread(str(out_file))
    # panels: input, 3 self masks, masked-attention mask, 2 attention maps
    assert image.shape[1] > 6 * image.shape[0] / 1.5
