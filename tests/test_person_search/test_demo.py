# Copyright (c) mmped contributors. All rights reserved.
import importlib.util

import cv2
import torch
from mmengine.config import Config

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules


def test_demo_draws_topk(tmp_path, tiny_prw, tiny_config):
    register_all_modules(init_default_scope=True)
    cfg_path = tiny_config(tmp_path / 'tiny.py', 'buff_r50_1xb4-5e_prw.py', tiny_prw)
    model = MODELS.build(Config.fromfile(cfg_path).model)
    model.init_weights()
    ckpt = tmp_path / 'tiny.pth'
    meta = dict(dataset_meta=dict(classes=('person', )))
    torch.save(dict(state_dict=model.state_dict(), meta=meta), ckpt)
    spec = importlib.util.spec_from_file_location('ps_demo',
                                                  REPO_ROOT / 'demo' / 'person_search_demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    frames = tiny_prw / 'frames'
    out = tmp_path / 'out'
    matches = demo.main([str(cfg_path), str(ckpt), '--query', str(frames / 'c1s1_000000.jpg'),
                         '--box', '8', '10', '24', '50', '--gallery', str(frames),
                         '--topk', '3', '--score-thr', '0', '--out-dir', str(out)])
    assert len(matches) == 3
    sims = [m['similarity'] for m in matches]
    assert sims == sorted(sims, reverse=True)
    strip = cv2.imread(str(out / 'topk.jpg'))
    assert strip is not None and strip.shape[0] == 256
    assert (out / 'topk.json').exists()
