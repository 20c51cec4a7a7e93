# Copyright (c) mmped contributors. All rights reserved.
"""Attribute and re-ID inference on real PA-100K / Market-1501 crops and a CityPersons frame."""
import json

import cv2
import numpy as np
import pytest
import torch

from .conftest import CITY_FRAME, CLS_TINY, PAR_PA100K, REID_MARKET, demo_module, link_images

ATTR_TINY = {**CLS_TINY, 'test_dataloader.dataset.pipeline.1.scale': (32, 64)}
REID_TINY = {**CLS_TINY, 'model.head.num_classes': 4,
             'test_dataloader.dataset.pipeline.1.scale': (32, 64)}


@pytest.fixture(scope='module')
def pa100k_names(real):
    """The 26 attribute names as mmped's PA-100K dataset reads them from annotation5.mat."""
    from mmped.datasets import PA100KDataset

    ds = PA100KDataset(ann_file='annotation5.mat', split='test', data_root=str(real / 'pa100k'),
                       data_prefix=dict(img_path='data'), pipeline=[], lazy_init=True)
    ds.full_init()
    return list(ds.metainfo['classes'])


@pytest.fixture(scope='module')
def attr_ckpt(pa100k_names, tmp_path_factory):
    """A random attribute model saved with the dataset meta a training run stores."""
    from mmped.apis import init_ped_classifier

    torch.manual_seed(0)
    model = init_ped_classifier(str(PAR_PA100K), cfg_options=ATTR_TINY)
    path = tmp_path_factory.mktemp('ckpt') / 'par.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=tuple(pa100k_names)))), path)
    return path


@pytest.fixture(scope='module')
def attr_model(attr_ckpt):
    from mmped.apis import init_ped_classifier

    return init_ped_classifier(str(PAR_PA100K), str(attr_ckpt), cfg_options=ATTR_TINY)


@pytest.mark.realdata
def test_attribute_folder_uses_checkpoint_names(attr_model, pa100k_names, real, tmp_path):
    from mmped.apis import inference_attribute_folder

    assert len(pa100k_names) == 26 and pa100k_names[0] == 'Female'
    crops = link_images(tmp_path / 'crops', [real / 'pa100k' / 'data' / f'{i:06d}.jpg'
                                             for i in (1, 2, 3)])
    rows = inference_attribute_folder(attr_model, crops, tmp_path / 'o' / 'attr.json',
                                      threshold=0.5, show_progress=False)
    data = json.loads((tmp_path / 'o' / 'attr.json').read_text())
    assert data['attributes'] == pa100k_names and len(data['results']) == 3 == len(rows)
    first = data['results'][0]
    assert first['file'].endswith('000001.jpg') and list(first['scores']) == pa100k_names
    assert first['present'] == [n for n, p in first['scores'].items() if p > 0.5]


@pytest.mark.realdata
def test_attributes_of_given_and_detected_boxes(attr_model, det_inferencer, real):
    from mmped.apis import inference_attributes_on_image

    gt = json.loads((real / 'citypersons' / 'val_gt.json').read_text())
    img_id = next(i['id'] for i in gt['images'] if i['im_name'] == CITY_FRAME.split('/')[-1])
    boxes = np.array([a['bbox'] for a in gt['annotations']
                      if a['image_id'] == img_id and a['category_id'] == 1][:2], float)
    boxes[:, 2:] += boxes[:, :2]
    res = inference_attributes_on_image(attr_model, str(real / CITY_FRAME), boxes)
    assert [r['bbox'] for r in res] == boxes.tolist() and res[0]['det_score'] is None
    assert res[0]['scores'].shape == (26, ) and res[0]['names'][2] == 'Age18-60'
    # the same crop given as an array in a crop list scores the same
    from mmped.apis import crop_boxes, inference_attributes
    crop = crop_boxes(cv2.imread(str(real / CITY_FRAME)), boxes[:1])[0]
    np.testing.assert_allclose(inference_attributes(attr_model, crop)[0]['scores'],
                               res[0]['scores'], rtol=1e-5)
    detected = inference_attributes_on_image(attr_model, str(real / CITY_FRAME),
                                             detector=det_inferencer, det_score_thr=0.5)
    pred = det_inferencer(str(real / CITY_FRAME), return_datasamples=True)['predictions'][0]
    assert len(detected) == int((pred.pred_instances.scores >= 0.5).sum())
    assert all(r['det_score'] >= 0.5 for r in detected)


@pytest.mark.realdata
def test_attribute_errors(real, tmp_path):
    from mmped.apis import (
        crop_boxes,
        inference_attribute_folder,
        inference_attributes_on_image,
        init_ped_classifier,
    )

    unnamed = init_ped_classifier(str(PAR_PA100K), cfg_options=ATTR_TINY)
    with pytest.raises(ValueError, match='no attribute names'):
        inference_attributes_on_image(unnamed, str(real / CITY_FRAME), [[0, 0, 10, 20]])
    with pytest.raises(ValueError, match=r'box 0 \[3000.0, 0.0, 3010.0, 20.0\] lies outside'):
        crop_boxes(np.zeros((1024, 2048, 3), np.uint8), [[3000, 0, 3010, 20]])
    (tmp_path / 'empty').mkdir()
    unnamed.dataset_meta = dict(classes=('a', ) * 26)
    with pytest.raises(ValueError, match=str(tmp_path / 'empty')):
        inference_attribute_folder(unnamed, tmp_path / 'empty', tmp_path / 'a.json')


@pytest.mark.realdata
def test_attribute_demo_cli(attr_ckpt, real, tmp_path):
    demo = demo_module('attribute_demo')
    opts = [f'{k}={v}' for k, v in ATTR_TINY.items()]
    rows = demo.main([str(PAR_PA100K), str(attr_ckpt), '--image', str(real / CITY_FRAME),
                      '--box', '100', '300', '140', '400', '--out-dir', str(tmp_path / 'o'),
                      '--cfg-options', *opts])
    assert len(rows) == 1 and len(rows[0]['scores']) == 26
    assert cv2.imread(str(tmp_path / 'o' / CITY_FRAME.split('/')[-1])).shape == (1024, 2048, 3)


@pytest.fixture(scope='module')
def market_crops(real, tmp_path_factory):
    files = sorted((real / 'market1501' / 'fastreid_test_data').glob('*.jpg')) + sorted(
        (real / 'market1501' / 'query').glob('*.jpg'))
    return link_images(tmp_path_factory.mktemp('market') / 'crops', files)


@pytest.mark.realdata
def test_reid_feature_export(market_crops, tmp_path):
    from mmped.apis import (
        export_reid_features,
        extract_reid_features,
        init_ped_classifier,
        load_reid_features,
    )

    model = init_ped_classifier(str(REID_MARKET), cfg_options=REID_TINY)
    out = export_reid_features(model, market_crops, tmp_path / 'feats', batch_size=3,
                               show_progress=False)
    feats, items = load_reid_features(tmp_path / 'feats')
    assert feats.shape == (7, 512) and feats.dtype == np.float32
    assert [i['file'] for i in items] == sorted(p.name for p in market_crops.iterdir())
    assert items[0]['pid'] == 1 and items[0]['camid'] == 1  # 0001_c1s1_001051_00.jpg
    assert items[2]['pid'] == 22 and items[2]['camid'] == 6
    # row i is the feature of crop i (batching does not reorder)
    one = extract_reid_features(model, [str(market_crops / items[4]['file'])])
    np.testing.assert_allclose(feats[4], one[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(out['features'], feats)
    with pytest.raises(ValueError, match='is an input folder'):
        export_reid_features(model, market_crops, market_crops)


@pytest.mark.realdata
def test_reid_demo_cli(market_crops, tmp_path):
    demo = demo_module('reid_feature_demo')
    opts = [f'{k}={v}' for k, v in REID_TINY.items()]
    demo.main([str(REID_MARKET), str(market_crops), '--out-dir', str(tmp_path / 'f'),
               '--cfg-options', *opts])
    assert np.load(tmp_path / 'f' / 'features.npy').shape == (7, 512)
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match=str(tmp_path / 'empty')):
        demo.main([str(REID_MARKET), str(tmp_path / 'empty'), '--out-dir',
                   str(tmp_path / 'g'), '--cfg-options', *opts])
