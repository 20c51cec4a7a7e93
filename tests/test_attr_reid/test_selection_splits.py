# Copyright (c) mmped contributors. All rights reserved.
"""Attribute configs select checkpoints on a validation split and report the test split."""
import numpy as np
import pytest
from mmengine.config import Config

from mmped.datasets import RAPDataset
from mmped.testing import REPO_ROOT

ATTRIBUTE_CONFIGS = sorted(
    p for folder in ('par_baseline', 'hpnet', 'dahar')
    for p in (REPO_ROOT / 'configs' / folder).glob('*.py')
    if not any(k in p.name for k in ('market1501', 'cuhk03', 'viper', 'jstl')))


def test_every_attribute_config_is_covered():
    names = {p.name.split('_')[-1] for p in ATTRIBUTE_CONFIGS}
    assert names == {'pa100k.py', 'peta.py', 'rap.py', 'wider-attribute.py'}


@pytest.mark.parametrize('path', ATTRIBUTE_CONFIGS, ids=lambda p: p.name)
def test_selection_never_sees_the_test_split(path):
    cfg = Config.fromfile(str(path))
    train = cfg.train_dataloader.dataset
    test = cfg.test_dataloader.dataset
    assert test.split == 'test'
    if cfg.val_dataloader is None:  # trained on train + val: fixed schedule, no selection
        assert train.split == 'trainval' and cfg.val_cfg is None
        assert cfg.default_hooks.checkpoint.get('save_best') is None
        return
    val = cfg.val_dataloader.dataset
    assert val.split == 'val' and train.split == 'train', path.name
    assert val.get('ann_file') == train.get('ann_file'), path.name
    for key in ('partition', 'val_fraction', 'holdout_seed'):
        assert val.get(key) == train.get(key) == test.get(key), (path.name, key)


def test_rap_holdout_is_seeded_disjoint_and_covers_the_training_index(tmp_path):
    from test_dahar.conftest import write_rap

    root = write_rap(tmp_path / 'rap', num_images=40)
    names = {s: [d['img_path'] for d in RAPDataset(data_root=str(root), split=s,
                                                    num_attributes=5).load_data_list()]
             for s in ('train', 'val', 'trainval', 'test')}
    assert len(names['val']) == 2 and len(names['train']) == 18  # 10% of the 20 train images
    assert not set(names['train']) & set(names['val'])
    assert sorted(names['train'] + names['val']) == sorted(names['trainval'])
    assert not set(names['trainval']) & set(names['test'])
    again = RAPDataset(data_root=str(root), split='val', num_attributes=5).load_data_list()
    assert [d['img_path'] for d in again] == names['val']
    other = RAPDataset(data_root=str(root), split='val', holdout_seed=1,
                       num_attributes=5).load_data_list()
    assert [d['img_path'] for d in other] != names['val']
    with pytest.raises(ValueError, match='val_fraction'):
        RAPDataset(data_root=str(root), split='val', val_fraction=1.0)
    assert np.isfinite(RAPDataset(data_root=str(root), split='train',
                                  num_attributes=5).positive_ratio()).all()
