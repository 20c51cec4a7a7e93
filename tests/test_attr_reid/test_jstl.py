# Copyright (c) mmped contributors. All rights reserved.
"""HP-net's re-ID data: the CUHK03 1,160 / 100 / 100 split and joint (JSTL) training."""
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from mmped.datasets import CUHK03Dataset, Market1501Dataset, ReIDConcatDataset, VIPeRDataset
from mmped.testing import REPO_ROOT, cfg_options_cli, evaluate_dumped_results, run_mim
from mmped.utils import register_all_modules

from .conftest import _write_images, make_market1501, make_viper

register_all_modules(init_default_scope=False)

# camera pairs 1..5 with 5, 4, 3, 2, 2 identities
PAIR_IDS = {1: 5, 2: 4, 3: 3, 4: 2, 5: 2}


def make_cuhk03_classic(root: Path, seed: int = 0) -> Path:
    """Classic-protocol CUHK03 crops ``images_labeled/<pair>_<pid>_<view>_<k>.png``."""
    names = [f'{pair}_{pid:03d}_{view}_{(view - 1) * 5 + k:02d}.png'
             for pair, num in PAIR_IDS.items() for pid in range(1, num + 1)
             for view in (1, 2) for k in (1, 2)]
    _write_images(root / 'images_labeled', names, np.random.default_rng(seed))
    return root


def _cuhk03(root, split, **kwargs):
    args = dict(protocol='classic', classic_split_file=None, camera_pairs=(1, 2, 3),
                num_test_ids=2, num_val_ids=2)
    args.update(kwargs)
    return CUHK03Dataset(data_root=str(root), split=split, **args)


def test_cuhk03_paper_split_keeps_pairs_1_to_3_and_holds_out_validation_ids(tmp_path):
    root = make_cuhk03_classic(tmp_path / 'cuhk03')
    sets = {s: _cuhk03(root, s) for s in ('train', 'val', 'test')}
    ids = {s: {d['pid'] for d in ds.load_data_list()} for s, ds in sets.items()}
    # 5 + 4 + 3 = 12 identities: 8 train, 2 val, 2 test; pairs 4 and 5 are not used
    assert [len(ids[s]) for s in ('train', 'val', 'test')] == [8, 2, 2]
    assert not ids['train'] & ids['val'] and not ids['train'] & ids['test']
    assert not ids['val'] & ids['test']
    paths = [d['img_path'] for ds in sets.values() for d in ds.load_data_list()]
    assert all(Path(p).name[0] in '123' for p in paths)
    assert sets['train'].metainfo['num_ids'] == 8
    val = sets['val'].load_data_list()
    assert {d['split'] for d in val} == {'query', 'gallery'}
    assert all((d['split'] == 'query') == (d['camid'] == 0) for d in val)
    # the test identities are those of the classic split (same as without a hold-out)
    plain = _cuhk03(root, 'test', num_val_ids=0).load_data_list()
    assert {d['pid'] for d in plain} == ids['test']
    with pytest.raises(ValueError, match='num_val_ids'):
        CUHK03Dataset(data_root=str(root), split='val', protocol='classic')


def _members(tmp_path, split):
    market = make_market1501(tmp_path / 'market')
    cuhk = make_cuhk03_classic(tmp_path / 'cuhk03')
    viper = make_viper(tmp_path / 'viper')
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.PackInputs', meta_keys=('pid', 'camid', 'split'))]
    return [Market1501Dataset(data_root=str(market), split=split, pipeline=pipeline),
            _cuhk03(cuhk, split, pipeline=pipeline),
            VIPeRDataset(data_root=str(viper), split=split, pipeline=pipeline)]


def test_concat_offsets_identity_labels_and_tags_sources(tmp_path):
    with DefaultScope.overwrite_default_scope('mmped'):
        members = _members(tmp_path, 'train')
        joint = ReIDConcatDataset(members, names=['market1501', 'cuhk03', 'viper'])
    sizes = [m.metainfo['num_ids'] for m in members]
    assert sizes == [4, 8, 4] and joint.metainfo['num_ids'] == 16
    labels = [joint.get_data_info(i)['gt_label'] for i in range(len(joint))]
    assert sorted(set(labels)) == list(range(16))  # every identity once, no collision
    starts = np.cumsum([0] + [len(m) for m in members])[:-1]
    for k, (start, offset) in enumerate(zip(starts, (0, 4, 12))):
        assert joint.get_data_info(int(start))['gt_label'] == \
            members[k].get_data_info(0)['gt_label'] + offset
        sample = joint[int(start)]['data_samples']
        assert int(sample.gt_label) == members[k].get_data_info(0)['gt_label'] + offset
        assert sample.source == ('market1501', 'cuhk03', 'viper')[k]
    with pytest.raises(ValueError, match='names'):
        ReIDConcatDataset(members, names=['a', 'b'])


def test_per_source_metric_evaluates_each_test_set_on_its_own():
    """Source a: both queries match at rank 1; source b: its query's match is at rank 2."""
    def sample(feat, pid, camid, split, source):
        return dict(pred_feature=torch.tensor(feat), pid=pid, camid=camid, split=split,
                    source=source)

    samples = [
        sample([1.0, 0.0], 1, 0, 'query', 'a'), sample([0.0, 1.0], 2, 0, 'query', 'a'),
        sample([1.0, 0.1], 1, 1, 'gallery', 'a'), sample([0.1, 1.0], 2, 1, 'gallery', 'a'),
        # in b the query is closest to the other identity's image
        sample([1.0, 0.0], 7, 0, 'query', 'b'),
        sample([1.0, 0.05], 8, 1, 'gallery', 'b'), sample([0.5, 1.0], 7, 1, 'gallery', 'b'),
    ]
    metrics = [dict(type='PerSourceMetric', source=s,
                    metric=dict(type='ReIDMetric', metric='cosine', protocol='market1501'))
               for s in ('a', 'b')]
    with DefaultScope.overwrite_default_scope('mmped'):
        evaluator = Evaluator(metrics)
    evaluator.process(samples)
    out = evaluator.evaluate(len(samples))
    assert out['a/R1'] == 100.0 and out['a/mAP'] == 100.0
    assert out['b/R1'] == 0.0 and out['b/R5'] == 100.0 and out['b/mAP'] == 50.0


@pytest.mark.slow
def test_jstl_config_trains_and_tests_through_mim(tmp_path):
    """Stage 1 of the JSTL config: `mim train` (2 iterations), `mim test` per test set."""
    config = REPO_ROOT / 'configs' / 'hpnet' / 'hpnet-stage1_bninception_1xb32-60e_jstl.py'
    roots = dict(market=make_market1501(tmp_path / 'market'),
                 cuhk=make_cuhk03_classic(tmp_path / 'cuhk03'),
                 viper=make_viper(tmp_path / 'viper'))
    opts = {'model.backbone.widen_factor': 0.0625, 'model.num_att_channels': 2,
            'model.backbone.init_cfg': None,
            'model.head.num_classes': 16, 'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1, 'default_hooks.logger.interval': 1,
            'visualizer.name': f'vis_{uuid.uuid4().hex}'}
    cuhk = {'classic_split_file': None, 'num_test_ids': 2, 'num_val_ids': 2}
    for key in ('train', 'val', 'test'):
        loader = f'{key}_dataloader'
        opts.update({f'{loader}.batch_size': 8, f'{loader}.num_workers': 0,
                     f'{loader}.persistent_workers': False})
        if key == 'val':
            members = {'': roots['cuhk']}
        else:
            members = {'datasets.0.': roots['market'], 'datasets.1.': roots['cuhk'],
                       'datasets.2.': roots['viper']}
        for prefix, root in members.items():
            opts[f'{loader}.dataset.{prefix}data_root'] = str(root)
            opts[f'{loader}.dataset.{prefix}pipeline.1.scale'] = (64, 64)
            opts[f'{loader}.dataset.{prefix}pipeline.2.crop_size'] = 56
            if root == roots['cuhk']:
                opts.update({f'{loader}.dataset.{prefix}{k}': v for k, v in cuhk.items()})
    # 4 + 8 + 4 training images per identity pair of views: 2 iterations of 8 images
    opts['train_dataloader.batch_size'] = 32
    work = tmp_path / 'work'
    run_mim(['train', 'mmped', config, '--work-dir', work, *cfg_options_cli(opts)],
            timeout=1500)  # a loaded shared CPU machine
    ckpt = next(work.glob('best_*.pth'))
    out = run_mim(['test', 'mmped', config, '--checkpoint', ckpt, '--work-dir', work / 'test',
                   '--out', work / 'test.pkl', *cfg_options_cli(opts)],
                  timeout=1500)  # a loaded shared CPU machine
    test_log = sorted((work / 'test').glob('*/*.json'))[-1]
    metrics = json.loads(test_log.read_text().splitlines()[-1])
    # each test set reported with its own protocol on the model's own features (the values of
    # a 2-iteration model are arbitrary; the per-source routing is pinned above)
    expected = evaluate_dumped_results(config, work / 'test.pkl', opts)
    for source in ('market1501', 'cuhk03', 'viper'):
        assert f'{source}/R1' in expected and f'{source}/mAP' in expected, source
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-4), (key, out.stdout[-2000:])
