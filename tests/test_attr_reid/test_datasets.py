# Copyright (c) mmped contributors. All rights reserved.
import json

import numpy as np
import pytest
import scipy.io as sio

from mmped.datasets import (
    CropPersonBox,
    CUHK03Dataset,
    DukeMTMCAttributeDataset,
    Market1501AttributeDataset,
    Market1501Dataset,
    PA100KDataset,
    PETADataset,
    RAPDataset,
    VIPeRDataset,
    WIDERAttributeDataset,
    read_market1501_label_vectors,
)
from mmped.evaluation.functional import eval_reid_full
from mmped.testing import shared_file


# ---------------------------------------------------------------- real samples (skip if absent)
@pytest.mark.realdata
def test_pa100k_real_subset_with_images():
    root = shared_file('pa100k')
    pipeline = [dict(type='LoadImageFromFile'),
                dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', ))]
    ds = PA100KDataset(data_root=str(root), ann_file='annotation5.mat', split='trainval',
                       pipeline=pipeline)
    assert len(ds) == 1800 and len(ds.metainfo['classes']) == 26
    assert ds.metainfo['classes'][0] == 'Female'
    packed = ds[0]
    assert packed['inputs'].shape[0] == 3
    mat = sio.loadmat(str(root / 'annotation5.mat'))
    np.testing.assert_array_equal(packed['data_samples'].gt_score.numpy(), mat['train_label'][0])
    ratio = ds.positive_ratio()
    assert ratio.shape == (26, ) and 0 < ratio[0] < 1
    assert len(PA100KDataset(data_root=str(root), ann_file='annotation5.mat', split='test')) == 200


@pytest.mark.realdata
def test_pa100k_malformed_record_names_file_record_field():
    root = shared_file('pa100k')
    # the user-made annotation.mat has an empty first test name
    with pytest.raises(ValueError, match=r"annotation.mat: record 0 of field 'test_images_name'"):
        PA100KDataset(data_root=str(root), ann_file='annotation.mat', split='test')


@pytest.mark.realdata
def test_peta_real_partitions():
    ann = shared_file('peta', 'PETA.mat')
    sizes = {s: len(PETADataset(ann_file=str(ann), split=s, partition=2))
             for s in ('test', 'trainval')}
    assert sizes == dict(test=7600, trainval=11400)  # 9,500 + 1,900 / 7,600
    ds = PETADataset(ann_file=str(ann), split='test')
    names = ds.metainfo['classes']
    assert len(names) == 35 and names[0] == 'personalLess30' and 'personalMale' in names
    val_all = PETADataset(ann_file=str(ann), split='val', attribute_set='all')
    assert len(val_all) == 1900 and len(val_all.metainfo['classes']) == 105
    info = ds.get_data_info(0)
    peta = sio.loadmat(str(ann))['peta'][0, 0]
    row = int(peta['partion_attribute'].ravel()[0][0, 0]['test'].ravel()[0]) - 1
    # selected_attribute 5..39 are 1-based data columns: the first 35 of the 105 labels
    np.testing.assert_array_equal(info['gt_score'], peta['data'][row, 4:39])
    assert info['img_path'].endswith(f'{int(peta["data"][row, 0]):05d}.png')


@pytest.mark.realdata
def test_cuhk03_real_new_protocol_configs(tmp_path):
    root = shared_file('cuhk03')
    for variant, n_gallery in (('labeled', 5328), ('detected', 5332)):
        train = CUHK03Dataset(data_root=str(root), variant=variant, split='train')
        test = CUHK03Dataset(data_root=str(root), variant=variant, split='test')
        assert train.metainfo['num_ids'] == 767 and test.metainfo['num_ids'] == 700
        q_pids, _ = test.get_pids_camids('query')
        g_pids, _ = test.get_pids_camids('gallery')
        assert len(q_pids) == 1400 and len(g_pids) == n_gallery
        assert not set(q_pids) & set(train.get_pids_camids()[0])
        assert train.get_data_info(0)['img_path'].endswith(f'images_{variant}/1_001_1_01.png')
        labels = [train.get_data_info(i)['gt_label'] for i in range(len(train))]
        assert min(labels) == 0 and max(labels) == 766


@pytest.mark.realdata
def test_market1501_real_label_vectors_and_crops():
    folder = shared_file('market1501', 'person-re-ranking')
    v = read_market1501_label_vectors(str(folder))
    assert len(v['q_pids']) == 3368 and len(v['g_pids']) == 19732
    assert (v['g_pids'] != -1).sum() == 15913  # gallery after junk removal
    # oracle distances on 64 queries: every query ranks a true match first
    rng = np.random.default_rng(0)
    q = rng.choice(3368, 64, replace=False)
    dist = 1 + rng.random((64, 19732), dtype=np.float32)
    same = v['q_pids'][q, None] == v['g_pids'][None]
    other_cam = v['q_camids'][q, None] != v['g_camids'][None]
    dist[same & other_cam] = 0.0
    res = eval_reid_full(dist, v['q_pids'][q], v['g_pids'], v['q_camids'][q], v['g_camids'])
    assert res['valid'].all() and res['cmc'][0] == 1.0 and res['mAP'] == 1.0
    market = shared_file('market1501')
    ds = Market1501Dataset(data_root=str(market), split='query')
    assert [(ds.get_data_info(i)['pid'], ds.get_data_info(i)['camid']) for i in range(2)] == \
        [(1, 0), (1, 5)]


@pytest.mark.realdata
def test_market_and_duke_attributes_real():
    root = shared_file('market1501')
    ds = Market1501AttributeDataset(data_root=str(root), ann_file='attribute/market_attribute.mat',
                                    data_prefix='fastreid_test_data', split='train')
    assert len(ds) == 5 and len(ds.metainfo['classes']) == 30
    mat = sio.loadmat(str(root / 'attribute' / 'market_attribute.mat'))
    train = mat['market_attribute'][0, 0]['train'][0, 0]
    row = [str(x[0]) for x in train['image_index'].ravel()].index('0022')
    info = ds.get_data_info(0)
    names = ds.metainfo['classes']
    assert info['pid'] == 22
    assert info['gt_score'][names.index('female')] == (train['gender'][0, row] == 2)
    age = int(train['age'][0, row])
    assert info['gt_score'][:4].tolist() == [float(age == k) for k in (1, 2, 3, 4)]
    duke = shared_file('dukemtmc', 'attribute', 'duke_attribute.mat')
    table = DukeMTMCAttributeDataset(ann_file=str(duke), data_prefix=str(duke.parent),
                                     split='train', lazy_init=True).identity_labels()
    assert len(table) == 702 and next(iter(table.values())).shape == (23, )


# ---------------------------------------------------------- generated data in the real formats
def test_rap_uncertain_labels(tiny_attr_root):
    root = tiny_attr_root / 'rap'
    ign = RAPDataset(data_root=str(root), split='trainval')
    neg = RAPDataset(data_root=str(root), split='trainval', uncertain='negative')
    assert len(ign.metainfo['classes']) == 51 and len(ign) == 6
    raw = sio.loadmat(str(root / 'RAP_annotation.mat'))['RAP_annotation'][0, 0]
    idx = int(np.asarray(raw['partion'].ravel()[0][0, 0]['train_index']).ravel()[0]) - 1
    labels = raw['label'][idx, :51]
    info_i, info_n = ign.get_data_info(0), neg.get_data_info(0)
    np.testing.assert_array_equal(info_i['gt_valid'], labels != 2)
    np.testing.assert_array_equal(info_n['gt_score'], labels == 1)
    assert info_n['gt_valid'].all()
    assert ign.positive_ratio().shape == (51, )


def test_wider_attribute_labels_boxes_and_crop(tiny_attr_root):
    root = tiny_attr_root / 'wider'
    ds = WIDERAttributeDataset(data_root=str(root), ann_file='wider_attribute_test.json',
                               split='test')
    ann = json.loads((root / 'wider_attribute_test.json').read_text())
    target = ann['images'][0]['targets'][1]
    info = ds.get_data_info(1)
    attr = np.array(target['attribute'])
    np.testing.assert_array_equal(info['gt_valid'], attr != 0)
    np.testing.assert_array_equal(info['gt_score'], attr == 1)
    x, y, w, h = target['bbox']
    np.testing.assert_allclose(info['bbox'], [x, y, x + w, y + h])
    img = np.arange(64 * 64 * 3, dtype=np.uint8).reshape(64, 64, 3)
    out = CropPersonBox()(dict(img=img, bbox=np.array([4, 8, 20, 40])))
    assert out['img'].shape == (32, 16, 3) and out['img'][0, 0, 0] == img[8, 4, 0]
    with pytest.raises(ValueError, match='outside'):
        CropPersonBox()(dict(img=img, bbox=np.array([80, 80, 90, 90]), img_path='x.jpg'))
    bad = dict(images=[dict(file_name='a.jpg', targets=[dict(attribute=[2] * 14,
                                                             bbox=[0, 0, 4, 4])])])
    (root / 'bad.json').write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r'bad.json: image 0 \(a.jpg\), target 0'):
        WIDERAttributeDataset(data_root=str(root), ann_file='bad.json')


def test_market1501_folders_junk_and_distractors(tiny_reid_root):
    root = tiny_reid_root / 'market'
    test = Market1501Dataset(data_root=str(root), split='test')
    splits = [test.get_data_info(i)['split'] for i in range(len(test))]
    assert splits == ['query'] * 4 + ['gallery'] * 9  # junk dropped, distractor kept
    g_pids, _ = test.get_pids_camids('gallery')
    assert 0 in g_pids and -1 not in g_pids
    assert len(Market1501Dataset(data_root=str(root), split='gallery', keep_junk=True)) == 10
    train = Market1501Dataset(data_root=str(root), split='train')
    assert train.metainfo['num_ids'] == 4
    assert sorted({train.get_data_info(i)['gt_label'] for i in range(len(train))}) == [0, 1, 2, 3]


def test_cuhk03_classic_and_viper_splits(tiny_reid_root, tmp_path):
    root = tiny_reid_root / 'cuhk03'
    kw = dict(data_root=str(root), protocol='classic', num_test_ids=2)
    test = CUHK03Dataset(split='test', **kw)
    train = CUHK03Dataset(split='train', **kw)
    q = [test.get_data_info(i) for i in range(len(test))]
    assert {d['camid'] for d in q if d['split'] == 'query'} == {0}
    assert {d['camid'] for d in q if d['split'] == 'gallery'} == {1}
    test_ids = {d['pid'] for d in q}
    assert len(test_ids) == 2 and not test_ids & set(train.get_pids_camids()[0])
    assert len(train) == 4 * 4  # 4 train ids x 2 views x 2 images
    other = CUHK03Dataset(split='test', split_index=1, **kw)
    assert CUHK03Dataset(split='test', **kw).get_pids_camids()[0].tolist() == \
        test.get_pids_camids()[0].tolist()  # seeded
    split_file = tmp_path / 'splits.json'
    split_file.write_text(json.dumps([['1_1', '1_2']]))
    fixed = CUHK03Dataset(split='query', classic_split_file=str(split_file), **kw)
    assert set(fixed.get_pids_camids()[0].tolist()) == {1, 2}
    assert len(other) == len(test)
    vroot = tiny_reid_root / 'viper'
    vtest = VIPeRDataset(data_root=str(vroot), split='test', split_index=3)
    vtrain = VIPeRDataset(data_root=str(vroot), split='train', split_index=3)
    q_pids, q_cams = vtest.get_pids_camids('query')
    g_pids, g_cams = vtest.get_pids_camids('gallery')
    assert len(q_pids) == 4 and set(q_cams) == {0} and set(g_cams) == {1}
    assert set(q_pids) == set(g_pids) and not set(q_pids) & set(vtrain.get_pids_camids()[0])
    with pytest.raises(ValueError, match='split_index'):
        VIPeRDataset(data_root=str(vroot), split_index=10)
