# Copyright (c) mmped contributors. All rights reserved.
import numpy as np
import pytest

from mmped.datasets import CUHKSYSUDataset, PRWDataset
from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol
from mmped.testing import shared_file
from mmped.utils import register_all_modules

register_all_modules(init_default_scope=True)


@pytest.mark.realdata
def test_prw_real_json_and_queries():
    test_json = shared_file('prw', 'alignps', 'test_pid.json')
    queries = shared_file('prw', 'prwmini_query_info.txt')
    ds = PRWDataset(ann_file=str(test_json), query_file=str(queries),
                    data_prefix=dict(img='frames/'), test_mode=True, lazy_init=False)
    assert len(ds) == 6112
    boxes = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    assert boxes == 25062
    ids = np.array([inst['person_id'] for i in range(len(ds))
                    for inst in ds.get_data_info(i)['instances']])
    # one convention: -1 unlabelled (the json uses -2), labels contiguous from 0
    assert (ids == -1).sum() == 5935 and ids.min() == -1
    assert set(ids[ids >= 0]) == set(range(ds.metainfo['num_person_ids']))
    qs = ds.queries
    assert len(qs) == 30 and [q['query_id'] for q in qs] == list(range(30))
    first = qs[0]
    assert first['img_path'].endswith('c2s1_159941.jpg') and first['gallery'] is None
    np.testing.assert_allclose(first['bbox'], [849.7009, 619.8089, 849.7009 + 172.6134,
                                               619.8089 + 440.8639])
    assert first['person_id'] == ds.metainfo['person_id_map'][484]
    assert ds.get_data_info(0)['cam_id'] == 1


@pytest.mark.realdata
def test_prw_real_train_json_pipeline():
    train_json = shared_file('prw', 'alignps', 'train_pid.json')
    frames = shared_file('prw', 'frames')
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadPersonSearchAnnotations'),
                dict(type='Resize', scale=(1000, 600), keep_ratio=True),
                dict(type='PackPersonSearchInputs')]
    ds = PRWDataset(ann_file=str(train_json), data_root=str(frames.parent),
                    data_prefix=dict(img='frames/'), pipeline=pipeline,
                    filter_cfg=dict(filter_empty_gt=True))
    assert len(ds) == 5704 and ds.metainfo['num_person_ids'] == 483
    idx = next(i for i in range(len(ds))
               if ds.get_data_info(i)['file_name'] == 'c1s1_001051.jpg')
    info = ds.get_data_info(idx)
    out = ds[idx]
    sample = out['data_samples']
    assert out['inputs'].shape[1:] == (563, 1000)
    ids = sample.gt_instances.person_ids
    assert ids.tolist() == [inst['person_id'] for inst in info['instances']]
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy()[0],
                               np.array(info['instances'][0]['bbox']) * 1000 / 1920, rtol=1e-3)


def test_prw_raw_equals_json(tiny_prw):
    kw = dict(data_root=str(tiny_prw), data_prefix=dict(img='frames/'), test_mode=True,
              query_file='query_info.txt')
    raw = PRWDataset(ann_file=str(tiny_prw / 'frame_test.mat'), frame_size=(96, 64), **kw)
    js = PRWDataset(ann_file=str(tiny_prw / 'test.json'), **kw)
    assert len(raw) == len(js) == 4
    for i in range(4):
        a, b = raw.get_data_info(i), js.get_data_info(i)
        assert a['file_name'] == b['file_name']
        assert [x['bbox'] for x in a['instances']] == [x['bbox'] for x in b['instances']]
        assert [x['person_id'] for x in a['instances']] == [x['person_id'] for x in b['instances']]
    assert raw.metainfo['num_person_ids'] == 2
    assert raw.queries[0]['person_id'] == 0 and raw.queries[0]['img_path'].endswith('000000.jpg')


def test_prw_bad_query_line(tiny_prw):
    (tiny_prw / 'bad.txt').write_text('7 1 2 3 c1s1_000000\n')
    with pytest.raises(ValueError, match='bad.txt: line 1'):
        PRWDataset(ann_file=str(tiny_prw / 'test.json'), query_file=str(tiny_prw / 'bad.txt'),
                   test_mode=True)


@pytest.mark.realdata
def test_cuhk_sysu_real_protocol():
    path = shared_file('cuhk_sysu', 'TestG100.mat')
    protocol = load_cuhk_sysu_protocol(str(path))
    assert len(protocol) == 2900
    first = protocol[0]
    assert first['img_name'] == 's15538.jpg' and first['idname'] == 'p10581'
    np.testing.assert_allclose(first['bbox'], [488, 90, 576, 340])
    assert all(len(q['gallery']) == 100 for q in protocol)
    # the official file lists the query's own image in 2 galleries (kept as given)
    assert [i for i, q in enumerate(protocol) if q['img_name'] in q['gallery']] == [493, 2132]
    assert first['gallery'][0] == 's15535.jpg'
    np.testing.assert_allclose(first['gallery_bboxes'][0], [430, 121, 523, 387])
    assert first['gallery_bboxes'][50] is None
    # every query has at least one gallery image containing the target
    assert all(any(b is not None for b in q['gallery_bboxes']) for q in protocol)


def test_cuhk_sysu_raw_files(tiny_cuhk):
    kw = dict(data_root=str(tiny_cuhk), data_prefix=dict(img='Image/SSM/'))
    train = CUHKSYSUDataset(ann_file='annotation/Images.mat', **kw)
    infos = [train.get_data_info(i) for i in range(len(train))]
    assert [d['file_name'] for d in infos] == ['s1.jpg', 's2.jpg', 's3.jpg']
    ids = [[i['person_id'] for i in d['instances']] for d in infos]
    assert ids == [[0, -1], [0, -1], [-1, -1]]
    np.testing.assert_allclose(infos[0]['instances'][0]['bbox'], [11, 5, 31, 55])
    test = CUHKSYSUDataset(ann_file='annotation/Images.mat', test_mode=True, gallery_size=2,
                           query_file='annotation/test/train_test/TestG2.mat', **kw)
    assert len(test) == 3 and test.metainfo['num_person_ids'] == 1
    (q, ) = test.queries
    assert q['gallery'] == ['s5.jpg', 's6.jpg'] and q['person_id'] == 0
    full = CUHKSYSUDataset(ann_file='annotation/Images.mat', test_mode=True, gallery_size=-1,
                           query_file='annotation/test/train_test/TestG2.mat', **kw)
    assert full.queries[0]['gallery'] is None
    with pytest.raises(ValueError, match='gallery_size=100'):
        CUHKSYSUDataset(ann_file='annotation/Images.mat', test_mode=True,
                        query_file='annotation/test/train_test/TestG2.mat', **kw)
