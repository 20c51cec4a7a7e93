# Copyright (c) mmped contributors. All rights reserved.
"""configs/dahar: every config builds; the ablation switches; parameter counts vs the paper."""
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.dataset import Compose

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'dahar'
CONFIGS = sorted(CONFIG_DIR.glob('*.py'))
SHRINK = {
    'model.backbone.depth': 18, 'model.backbone.stem_channels': 8,
    'model.backbone.base_channels': 8, 'model.head.in_channels': 64,
    'model.side_neck.out_channels': 32, 'model.side_head.in_channels': 32,
    'model.side_head.attention_channels': 16
}


def _params(module: torch.nn.Module) -> float:
    return sum(p.numel() for p in module.parameters()) / 1e6


def test_metafile_lists_every_config():
    meta = yaml.safe_load((CONFIG_DIR / 'metafile.yml').read_text())
    listed = {m['Config'] for m in meta['Models']}
    assert listed == {f'configs/dahar/{c.name}' for c in CONFIGS}


@pytest.mark.parametrize('path', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_builds_and_runs(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmped'
    # the paper's optimisation settings
    assert cfg.optim_wrapper.optimizer.lr == 0.003
    assert cfg.optim_wrapper.optimizer.weight_decay == 5e-4
    assert cfg.train_dataloader.batch_size == 32
    Compose(cfg.train_dataloader.dataset.pipeline)
    Compose(cfg.tta_pipeline)
    # without fusion the side head reads layer3 directly (32 channels in the shrunk ResNet-18)
    cfg.merge_from_dict({k: v for k, v in SHRINK.items()
                         if cfg.model.side_neck is not None or 'side_neck' not in k})
    model = MODELS.build(cfg.model).eval()
    with torch.no_grad():
        main, side = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert main.shape == side.shape == (1, cfg.model.head.num_classes)
    name = path.stem
    assert (len(model.self_masks) > 0) == ('baseline' not in name and 'multi-level' not in name
                                           and 'masked-attention' not in name)
    assert (model.side_neck is not None) == ('baseline' not in name and 'self-mask' not in name
                                             and 'masked-attention' not in name)
    assert model.side_head.with_mask == ('baseline' not in name and 'multi-level' not in name
                                         and 'self-mask' not in name)
    # Table 3 rows 1-5 train 0-labels as negatives; row 6 (main) and row 7 (trainval) ignore them
    assert model.ignore_invalid_labels == ('abl' not in name or 'trainval' in name)


def test_parameter_counts_baseline_as_in_the_paper_full_model_as_documented():
    full = MODELS.build(Config.fromfile(
        str(CONFIG_DIR / 'dahar_r101_1xb32-30e_wider-attribute.py')).model)
    base = MODELS.build(Config.fromfile(
        str(CONFIG_DIR / 'dahar-abl-baseline_r101_1xb32-30e_wider-attribute.py')).model)
    # paper: baseline 45.4M (reproduced); Da-HAR 52.4M, where mmped has 54.3M: the difference
    # is explained in configs/dahar/README.md, whose table states both counts
    assert round(_params(base), 1) == 45.4
    assert _params(base) == pytest.approx(45.43, abs=0.01)
    assert _params(full) == pytest.approx(54.34, abs=0.01)
    readme = (CONFIG_DIR / 'README.md').read_text()
    assert '**45.43M** (paper 45.4M)' in readme and '**54.34M** (paper 52.4M)' in readme
    assert _params(full.self_masks) == pytest.approx(0.43, abs=0.01)
    assert _params(full.side_neck) == pytest.approx(5.91, abs=0.01)
    assert _params(full.side_head.mask_branch) == pytest.approx(2.56, abs=0.01)
