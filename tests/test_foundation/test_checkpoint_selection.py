# Copyright (c) mmped contributors. All rights reserved.
"""Checkpoints are selected on a validation split, never on the data a config tests on."""
from typing import Optional

from mmengine.config import Config

from mmped.testing import REPO_ROOT

CONFIGS = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)
# keys that change how a split is read, not which images it holds
NOT_THE_DATA = ('pipeline', 'test_mode', 'backend_args', 'filter_cfg', 'serialize_data',
                'lazy_init')
# validation data that is held out of training although the test loader reuses it, because the
# protocol's own test set is scored elsewhere
SERVER_TESTED = {
    # KITTI: val is ImageSets/val.txt, half of the training images (no shared drive); the
    # test labels are private and the paper's numbers come from the benchmark server
    'configs/gdfl/gdfl_vgg16_4xb8-12e_kitti-384x1280.py',
    'configs/gdfl/gdfl_vgg16_4xb8-12e_kitti-576x1920.py',
    'configs/gdfl/ca-gdfl_vgg16_4xb8-12e_kitti-384x1280.py',
    'configs/gdfl/ca-gdfl_vgg16_4xb8-12e_kitti-576x1920.py',
}


def _data(dataset: dict) -> dict:
    """The dataset config without the keys that do not choose its images."""
    out = {k: v for k, v in dataset.items() if k not in NOT_THE_DATA}
    if 'datasets' in out:
        out['datasets'] = [_data(d) for d in out['datasets']]
    return out


def _selection_metric(cfg: Config) -> Optional[str]:
    return cfg.get('default_hooks', {}).get('checkpoint', {}).get('save_best')


def test_checkpoints_are_never_selected_on_the_test_data():
    """Every config with ``save_best`` validates on other images than it tests on (a config
    whose val and test loaders read the same split selects on test); the configs without a
    validation split select nothing. Also pins which configs select: both lists are the
    model cards' statements."""
    selecting, violations = [], []
    for path in CONFIGS:
        cfg = Config.fromfile(str(REPO_ROOT / path))
        if cfg.get('val_dataloader') is None or _selection_metric(cfg) is None:
            continue
        selecting.append(path)
        same = _data(cfg.val_dataloader.dataset.to_dict()) == _data(
            cfg.test_dataloader.dataset.to_dict())
        if same and path not in SERVER_TESTED:
            violations.append(path)
    assert violations == []
    families = {p.split('/')[1] for p in selecting}
    # Caltech / INRIA / MOT17Det hold-outs, PA-100K / PETA / RAP / WIDER val, HP-net CUHK03 / JSTL
    # validation identities, the re-ID baseline's CUHK03 classic validation identities
    assert families == {'gdfl', 'par_baseline', 'hpnet', 'dahar', 'reid_baseline'}
    assert [p for p in selecting if 'reid_baseline' in p] == [
        'configs/reid_baseline/reid-baseline_r50_1xb64-120e_cuhk03-classic.py']
    assert not any('citypersons' in p for p in selecting)
    assert not any(p.startswith(('configs/buff/', 'configs/dcrl/')) for p in selecting)
