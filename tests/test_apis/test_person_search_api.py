# Copyright (c) mmped contributors. All rights reserved.
"""Person search API and demo on real PRW frames (tiny random BUFF model)."""
import json
import time

import cv2
import pytest
import torch

from mmped.testing import REPO_ROOT

from .conftest import demo_module, link_images, load_module


@pytest.fixture(scope='module')
def buff_cfg(tmp_path_factory):
    helpers = load_module(REPO_ROOT / 'tests' / 'test_person_search' / 'conftest.py',
                          'ps_conftest')
    tmp = tmp_path_factory.mktemp('buff')
    return helpers.write_tiny_config(tmp / 'buff_tiny.py', 'buff_r50_1xb4-5e_prw.py', tmp)


@pytest.fixture(scope='module')
def model(buff_cfg):
    from mmped.apis import init_person_search

    torch.manual_seed(0)
    m = init_person_search(str(buff_cfg))
    m.init_weights()  # random, no ImageNet (the tiny config has no pretrained trunk)
    return m


@pytest.fixture(scope='module')
def prw(real, tmp_path_factory):
    """4 real PRW frames and the first annotated box of the first one (xyxy)."""
    frames = sorted((real / 'prw' / 'frames').glob('*.jpg'))[:4]
    folder = link_images(tmp_path_factory.mktemp('prw') / 'frames', frames)
    ann = json.loads((real / 'prw' / 'alignps' / 'train_pid.json').read_text())
    img_id = next(i['id'] for i in ann['images'] if i['file_name'] == frames[0].name)
    x, y, w, h = next(a['bbox'] for a in ann['annotations'] if a['image_id'] == img_id)
    return folder, folder / frames[0].name, [x, y, x + w, y + h]


@pytest.mark.realdata
def test_gallery_index_cached_and_query_frame_excluded(model, prw, tmp_path, monkeypatch):
    from mmped.apis import build_gallery_index, person_search, search_person

    folder, query, box = prw
    index = build_gallery_index(model, folder, tmp_path / 'cache', score_thr=0.0,
                                show_progress=False)
    assert not index.from_cache and len(index.files) == 4 and len(index) > 0
    assert index.feats.shape == (len(index), 64) and index.boxes.shape == (len(index), 4)
    assert len(list((tmp_path / 'cache').glob('gallery_*.npz'))) == 1
    # a second search loads the cache: no gallery frame goes through the model again
    calls = []
    real_predict = person_search._predict
    monkeypatch.setattr(person_search, '_predict',
                        lambda m, p, path, q: calls.append(path) or real_predict(m, p, path, q))
    matches = search_person(model, query, box, folder, topk=5, cache_dir=tmp_path / 'cache',
                            score_thr=0.0, show_progress=False)
    assert calls == [query]  # the query only
    assert all(m['image'] != str(query) for m in matches)
    others = int((index.frame != 0).sum())
    assert len(matches) == min(5, others)
    sims = [m['similarity'] for m in matches]
    assert sims == sorted(sims, reverse=True) and all(-1.0 <= s <= 1.0 for s in sims)
    # changing the frames (here: the threshold too) builds a new index
    again = build_gallery_index(model, folder, tmp_path / 'cache', score_thr=0.0,
                                show_progress=False)
    assert again.from_cache
    time.sleep(0.01)
    (folder / 'extra.jpg').symlink_to(query.resolve())
    try:
        fresh = build_gallery_index(model, folder, tmp_path / 'cache', score_thr=0.0,
                                    show_progress=False)
        assert not fresh.from_cache and len(fresh.files) == 5
    finally:
        (folder / 'extra.jpg').unlink()


@pytest.mark.realdata
def test_query_box_outside_the_frame_is_rejected(model, prw):
    from mmped.apis import query_feature

    _, query, _ = prw
    with pytest.raises(ValueError, match='query box .* inside the 1920x1080 image'):
        query_feature(model, query, [2000, 10, 2100, 200])


@pytest.mark.realdata
def test_demo_cli_writes_strip(buff_cfg, prw, tmp_path):
    folder, query, box = prw
    demo = demo_module('person_search_demo')
    matches = demo.main([str(buff_cfg), '--query', str(query), '--box', *map(str, box),
                         '--gallery', str(folder), '--topk', '3', '--score-thr', '0',
                         '--out-dir', str(tmp_path / 'o')])
    strip = cv2.imread(str(tmp_path / 'o' / 'topk.jpg'))
    assert strip.shape[0] == 256 and len(matches) == 3
    assert json.loads((tmp_path / 'o' / 'topk.json').read_text()) == matches
    assert list((tmp_path / 'o' / 'gallery_cache').glob('gallery_*.npz'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match=str(tmp_path / 'empty')):
        demo.main([str(buff_cfg), '--query', str(query), '--box', *map(str, box),
                   '--gallery', str(tmp_path / 'empty'), '--out-dir', str(tmp_path / 'p')])
