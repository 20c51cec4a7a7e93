# Copyright (c) mmped contributors. All rights reserved.
import cv2
import numpy as np
import torch

from mmped.apis import (
    extract_reid_features,
    inference_attributes,
    init_ped_classifier,
    search_gallery,
)
from mmped.testing import REPO_ROOT

SMALL = {
    'model.backbone.depth': 18,
    'model.head.in_channels': 512,
}


def test_inference_attributes_paths_and_arrays(tiny_attr_root, tmp_path):
    cfg = REPO_ROOT / 'configs' / 'par_baseline' / 'par-baseline_r50_1xb64-30e_wider-attribute.py'
    model = init_ped_classifier(cfg, cfg_options={**SMALL, 'model.head.num_classes': 14,
                                                  'test_dataloader.dataset.pipeline.2.scale':
                                                  (32, 64)})
    # a checkpoint round trip carries the attribute names
    ckpt = tmp_path / 'm.pth'
    names = tuple(f'a{i}' for i in range(14))
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=names))),
               ckpt)
    model = init_ped_classifier(cfg, str(ckpt), cfg_options={
        **SMALL, 'model.head.num_classes': 14, 'test_dataloader.dataset.pipeline.2.scale':
        (32, 64)})
    img_path = next((tiny_attr_root / 'wider' / 'Image' / 'test').glob('*.jpg'))
    crop = cv2.imread(str(img_path))[:40, :20]
    res = inference_attributes(model, [str(img_path), crop], threshold=0.0)
    assert len(res) == 2 and res[0]['names'] == list(names)
    assert res[1]['scores'].shape == (14, ) and ((res[1]['scores'] > 0) &
                                                 (res[1]['scores'] < 1)).all()
    assert res[0]['present'] == list(names)  # threshold 0: every attribute reported
    # the same crop twice gives the same scores (eval mode, no augmentation)
    again = inference_attributes(model, crop)
    np.testing.assert_allclose(again[0]['scores'], res[1]['scores'], rtol=1e-5)


def test_search_gallery_ranks_identical_crop_first(tiny_reid_root):
    cfg = REPO_ROOT / 'configs' / 'reid_baseline' / 'reid-baseline_r50_1xb64-120e_market1501.py'
    model = init_ped_classifier(cfg, cfg_options={**SMALL, 'model.head.num_classes': 4,
                                                  'test_dataloader.dataset.pipeline.1.scale':
                                                  (32, 64)})
    gallery = sorted(str(p) for p in (tiny_reid_root / 'market' / 'bounding_box_test').iterdir())
    query = [gallery[3], gallery[5]]
    ranked = search_gallery(model, query, gallery, topk=3)
    assert [r[0]['index'] for r in ranked] == [3, 5]
    assert ranked[0][0]['distance'] <= ranked[0][1]['distance'] <= ranked[0][2]['distance']
    assert ranked[0][0]['item'] == gallery[3]
    feats = extract_reid_features(model, gallery)
    assert feats.shape == (len(gallery), 512)
    by_feat = search_gallery(model, query, feats, topk=2, metric='cosine')
    assert by_feat[1][0]['index'] == 5 and by_feat[1][0]['item'] is None
