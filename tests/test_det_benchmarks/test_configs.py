# Copyright (c) mmped contributors. All rights reserved.
"""The dataset base configs build their datasets (on the real samples) and evaluators."""
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmped.registry import DATASETS, METRICS
from mmped.testing import REPO_ROOT, SHARED_DATA, shared_file
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=False)
CFG = REPO_ROOT / 'configs' / '_base_' / 'datasets'

CASES = {  # config: (ann_file, dataset overrides, expected number of images)
    'citypersons.py': (('citypersons', 'val_gt.json'), {}, 500),
    # the test loader: Caltech validates on the held-out training set set05 (not in the sample)
    'caltech.py': (('caltech', 'pedestron', 'test.json'), {}, 4024),
    'inria.py': (('inria', 'INRIAPerson', 'Test', 'annotations'), {}, 1),
    'kitti_pedestrian.py': (('kitti', 'training', 'label_2'), dict(image_set=None), 6),
    'mot17det.py': (('mot15_tud', 'TUD-Campus', 'gt.txt'), {}, 71),
}


@pytest.mark.realdata
@pytest.mark.parametrize('name', sorted(CASES))
def test_dataset_config_builds(name):
    parts, extra, num = CASES[name]
    ann = shared_file(*parts)
    cfg = Config.fromfile(str(CFG / name))
    split = 'test' if name == 'caltech.py' else 'val'
    ds_cfg = cfg[f'{split}_dataloader'].dataset
    ds_cfg.update(ann_file=str(ann), data_root=str(SHARED_DATA), **extra)
    with DefaultScope.overwrite_default_scope('mmped'):
        ds = DATASETS.build(ds_cfg)
        assert len(ds) == num
        ev = dict(cfg[f'{split}_evaluator'])
        ev['ann_file'] = str(ann)
        ev.pop('image_set', None)
        metric = METRICS.build(ev)
    assert type(metric).__name__ == ev['type']
