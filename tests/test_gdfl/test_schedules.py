# Copyright (c) mmped contributors. All rights reserved.
"""Every GDFL config trains at its configured learning rate (issue 17 item 3).

mmengine's parameter schedulers are built as the Runner builds them (``epoch_length`` = batches
per epoch of the config's dataloader) and stepped as ``ParamSchedulerHook`` steps them, over the
real size of each config's training set.
"""
import copy
import math
import re
from pathlib import Path
from typing import Dict, List

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import PARAM_SCHEDULERS

from mmped.testing import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
CONFIGS = sorted(p.name for p in CONFIG_DIR.glob('*.py'))

# training images of each dataset, as the configs' train splits hold them
TRAIN_SIZES: Dict[str, int] = {
    # paper Sec. IV-A: the 10x Caltech training set; the configs train on set00-set04 of it
    # (set05 held out for validation), fewer frames: covered by the quarter-size check below
    'CaltechDataset': 42782,
    # the paper's 614 positive training images minus every 10th, held out for validation (62)
    'INRIADataset': 552,
    'KITTIPedestrianDataset': 3712,  # ImageSets/train.txt of the usual 3712 / 3769 split
    'CityPersonsDataset': 2975,  # official train split
    # the 7 MOT17Det train sequences (5,316 frames) minus the validation sequence MOT17-09 (525)
    'MOT17DetDataset': 4791,
}
DEMO_SIZE = 240  # tools/misc/make_synthetic_citypersons.py --num-train default of the demo


def _dataset_type(cfg: Config) -> str:
    ds = cfg.train_dataloader.dataset
    while 'dataset' in ds:  # dataset wrappers
        ds = ds.dataset
    return ds.type.split('.')[-1]


def simulate_lr(cfg: Config, num_images: int) -> List[float]:
    """lr of every training iteration under the config's schedulers.

    Args:
        cfg (Config): Training config.
        num_images (int): Training set size.

    Returns:
        list[float]: lr used by each iteration, in order.
    """
    match = re.search(r'_(\d+)xb(\d+)-', cfg.filename)
    world = int(match.group(1))
    batch = cfg.train_dataloader.batch_size
    assert batch == int(match.group(2)), 'batch in the config name and the dataloader differ'
    # DefaultSampler pads each rank to ceil(N / world) samples; drop_last is False
    epoch_length = math.ceil(math.ceil(num_images / world) / batch)
    opt_cfg = cfg.optim_wrapper.optimizer
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = getattr(torch.optim, opt_cfg.type)([param], lr=opt_cfg.lr)
    schedulers = [PARAM_SCHEDULERS.build(copy.deepcopy(s), default_args=dict(
        optimizer=optimizer, epoch_length=epoch_length)) for s in cfg.param_scheduler]
    loop = cfg.train_cfg
    if loop.type.endswith('IterBasedTrainLoop'):
        epochs, per_epoch = 1, loop.max_iters
    else:
        epochs, per_epoch = loop.max_epochs, epoch_length
    lrs = []
    for _ in range(epochs):
        for _ in range(per_epoch):
            lrs.append(optimizer.param_groups[0]['lr'])
            for s in schedulers:
                if not s.by_epoch:
                    s.step()
        for s in schedulers:
            if s.by_epoch:
                s.step()
    return lrs


@pytest.mark.parametrize('name', CONFIGS)
def test_config_trains_at_its_lr(name):
    cfg = Config.fromfile(CONFIG_DIR / name)
    lr = cfg.optim_wrapper.optimizer.lr
    if 'synthetic' in name:
        sizes = [DEMO_SIZE]
    else:
        full = TRAIN_SIZES[_dataset_type(cfg)]
        # filter_empty_gt drops frames without a training pedestrian: check a quarter too
        sizes = [full, full // 4]
    for size in sizes:
        lrs = simulate_lr(cfg, size)
        at_lr = sum(abs(v - lr) <= 1e-9 * lr for v in lrs)
        assert max(lrs) == pytest.approx(lr, rel=1e-9), (name, size, max(lrs))
        # warm-up and decays aside, most of the training runs at the configured lr
        assert at_lr >= 0.5 * len(lrs), (name, size, at_lr, len(lrs))


def test_simulation_matches_hand_counted_schedule():
    """INRIA, 4 x 8, 552 training images: 18 iterations per epoch, warm-up 18, lr 1e-3 for
    epochs 2-8, then x0.1 at epochs 8 and 11 (216 iterations)."""
    cfg = Config.fromfile(CONFIG_DIR / 'gdfl_vgg16_4xb8-12e_inria.py')
    lrs = simulate_lr(cfg, 552)
    assert len(lrs) == 216
    assert lrs[0] == pytest.approx(1e-6)
    # mmengine's LinearLR reaches the end factor on the last iteration of [begin, end)
    assert lrs[9] == pytest.approx(1e-3 * (0.001 + 0.999 * 9 / 17))
    assert lrs[16] < 1e-3 and lrs[17] == pytest.approx(1e-3)
    assert lrs[143] == pytest.approx(1e-3)
    assert lrs[144] == pytest.approx(1e-4) and lrs[197] == pytest.approx(1e-4)
    assert lrs[198] == pytest.approx(1e-5) and lrs[215] == pytest.approx(1e-5)
    # all 614 images (holdout=None, as the paper trains): 20 iterations per epoch, 240 in all
    assert len(simulate_lr(cfg, 614)) == 240


def test_every_config_is_covered():
    assert len(CONFIGS) >= 25 and all(Path(CONFIG_DIR / n).is_file() for n in CONFIGS)
