# Copyright (c) mmped contributors. All rights reserved.
"""GDFL's Caltech configs train on the original annotations; the Reasonable filter is a named
variant (issue 17 item 4)."""
import json

import pytest
from mmengine.config import Config

from mmped.registry import DATASETS
from mmped.testing import REPO_ROOT

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
# (x, y, w, h), visible fraction, ignore
PEOPLE = [
    ((10, 10, 14, 35), 1.0, 0),  # 35 px tall: conv4_3's range (Table II 30-89)
    ((60, 10, 33, 80), 0.4, 0),  # heavily occluded (60 % hidden)
    ((120, 10, 25, 60), 1.0, 0),  # Reasonable
    ((200, 10, 20, 50), 0.65, 0),  # exactly at the Reasonable bounds: kept by both
    ((300, 10, 40, 40), 1.0, 1),  # a `people` region
]


def _caltech_json(root):
    (root / 'coco').mkdir(parents=True)
    anns = [dict(id=i + 1, image_id=1, category_id=1, bbox=list(box), vis_ratio=vis,
                 ignore=ign, iscrowd=ign) for i, (box, vis, ign) in enumerate(PEOPLE)]
    data = dict(images=[dict(id=1, file_name='set00_V000_I00002.jpg', width=640, height=480)],
                annotations=anns, categories=[dict(id=1, name='person')])
    (root / 'coco' / 'train.json').write_text(json.dumps(data))


def _citypersons_json(root):
    """The hand-made PEOPLE as an official-style CityPersons json (``vis_bbox`` given)."""
    (root / 'annotations').mkdir(parents=True)
    anns = [dict(id=i + 1, image_id=1, category_id=1, bbox=list(box),
                 vis_bbox=[box[0], box[1], box[2], round(box[3] * vis, 6)], ignore=ign,
                 iscrowd=ign, height=box[3]) for i, (box, vis, ign) in enumerate(PEOPLE)]
    data = dict(images=[dict(id=1, file_name='aachen/aachen_000000_000019_leftImg8bit.png',
                             width=2048, height=1024)],
                annotations=anns, categories=[dict(id=1, name='pedestrian')])
    (root / 'annotations' / 'train_gt.json').write_text(json.dumps(data))


PAPER, REASONABLE = [0, 0, 0, 0, 1], [1, 1, 0, 0, 1]


@pytest.mark.parametrize('name,ignored', [
    ('gdfl_vgg16_4xb8-12e_caltech.py', PAPER),
    ('ca-gdfl_vgg16_4xb8-12e_caltech.py', PAPER),
    ('gdfl_vgg16-reasonable-train_4xb8-12e_caltech.py', REASONABLE),
    # CityPersons: the paper's bounding box annotations, the 35 px and the 60 % occluded
    # pedestrian are positives (the configs before the issue 17 remainder made both ignored)
    ('gdfl_vgg16_2xb4-adam-40e_citypersons.py', PAPER),
    ('ca-gdfl_vgg16_2xb4-adam-40e_citypersons.py', PAPER),
    ('gdfl_vgg16-channel-att_2xb4-adam-40e_citypersons.py', PAPER),
    ('ca-gdfl_vgg16-no-channel-att_2xb4-adam-40e_citypersons.py', PAPER),
    ('gdfl_vgg16-reasonable-train_2xb4-adam-40e_citypersons.py', REASONABLE),
])
def test_training_labels(tmp_path, name, ignored):
    cfg = Config.fromfile(CONFIG_DIR / name)
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=str(tmp_path), pipeline=[])
    if 'caltech' in name:
        _caltech_json(tmp_path)
        # the json holds one frame of set00: the other training sets are absent
        assert 'set00' in ds_cfg.sequences
        ds_cfg.sequences = ['set00']
        img = 'set00_V000_I00002.jpg'
    else:
        _citypersons_json(tmp_path)
        img = 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 1
    info = dataset.get_data_info(0)
    assert info['img_path'].endswith(img)
    instances = info['instances']
    # (Caltech marks fully visible people inf, as the toolbox's `no occlusion box`)
    vis = [min(inst['vis_ratio'], 1) for inst in instances]
    assert vis == pytest.approx([1, 0.4, 1, 0.65, 1])
    assert [inst['ignore_flag'] for inst in instances] == ignored


@pytest.mark.realdata
def test_new_annotation_config_on_the_real_test_json(tmp_path, shared_data):
    """The MR^N configs read the new-annotation json for images and GT alike: the GT boxes given
    back as detections score MR-2 0 on Reasonable, over all 4,024 frames."""
    import numpy as np

    from mmped.registry import METRICS
    real = shared_data / 'caltech' / 'pedestron' / 'test.json'
    (tmp_path / 'coco').mkdir()
    (tmp_path / 'coco' / 'test_new.json').symlink_to(real)
    cfg = Config.fromfile(CONFIG_DIR / 'gdfl_vgg16_4xb8-12e_caltech-new-anno.py')
    ca = Config.fromfile(CONFIG_DIR / 'ca-gdfl_vgg16_4xb8-12e_caltech-new-anno.py')
    assert ca.test_dataloader.dataset == cfg.test_dataloader.dataset
    assert ca.test_evaluator == cfg.test_evaluator
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.update(data_root=str(tmp_path) + '/', pipeline=[])
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 4024
    metric = METRICS.build(dict(cfg.test_evaluator, ann_file=str(tmp_path / 'coco' /
                                                                 'test_new.json')))
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        boxes = np.array([inst['bbox'] for inst in info['instances'] if not inst['ignore_flag']],
                         dtype=np.float32).reshape(-1, 4)
        samples.append(dict(img_id=info['img_id'], pred_instances=dict(
            bboxes=boxes, scores=np.ones(len(boxes), np.float32),
            labels=np.zeros(len(boxes), np.int64))))
    metric.process({}, samples)
    result = metric.evaluate(len(samples))
    assert result['pedestrian/Reasonable'] == pytest.approx(0.0, abs=1e-6)
