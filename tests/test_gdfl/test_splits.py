# Copyright (c) mmped contributors. All rights reserved.
"""Validation splits taken from the training data, never the test split (issue 17 remainder,
item 1): Caltech holds out the training set set05, INRIA every 10th training image."""
import json

import pytest

from mmped.datasets import CaltechDataset, INRIADataset
from mmped.testing import REPO_ROOT

from .gdfl_testutils import build_dataset_at, build_splits

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
ALL_CALTECH = sorted(p.name for p in CONFIG_DIR.glob('*caltech*.py'))
INRIA = sorted(p.name for p in CONFIG_DIR.glob('*inria*.py'))
# the two main models and every Caltech config that sets data settings of its own; the others
# (the model ablations) take them from these (test_ablations_keep_the_data_settings)
CALTECH = ['gdfl_vgg16_4xb8-12e_caltech.py', 'ca-gdfl_vgg16_4xb8-12e_caltech.py'] + [
    n for n in ALL_CALTECH if 'dataloader' in (CONFIG_DIR / n).read_text()]
# every Caltech training video name the tiny json below holds
CALTECH_VIDEOS = ['set00_V000', 'set00_V001', 'set01_V002', 'set02_V000', 'set03_V004',
                  'set04_V000', 'set05_V000', 'set05_V012']


def _caltech(root):
    """coco/train.json with 2 frames of each CALTECH_VIDEOS video, coco/test.json with set06."""
    (root / 'coco').mkdir(parents=True)
    for split, videos in (('train', CALTECH_VIDEOS), ('test', ['set06_V000'])):
        names = [f'{v}_I{f:05d}.jpg' for v in videos for f in (2, 5)]
        images = [dict(id=i + 1, file_name=n, width=640, height=480) for i, n in enumerate(names)]
        anns = [dict(id=i + 1, image_id=i + 1, category_id=1, bbox=[10, 10, 20, 50], ignore=0,
                     iscrowd=0) for i in range(len(names))]
        (root / 'coco' / f'{split}.json').write_text(json.dumps(
            dict(images=images, annotations=anns, categories=[dict(id=1, name='person')])))
    return root


def _names(ds):
    return {ds.get_data_info(i)['img_path'].rsplit('/', 1)[-1] for i in range(len(ds))}


@pytest.mark.parametrize('name', CALTECH)
def test_caltech_configs_validate_on_a_held_out_training_set(tmp_path, name):
    root = _caltech(tmp_path)
    cfg, train, val = build_splits(CONFIG_DIR / name, root, ('train', 'val'))
    # the new-annotation configs test on their own json (absent here): the split is what counts
    assert cfg.val_dataloader.dataset.ann_file == cfg.train_dataloader.dataset.ann_file
    assert cfg.val_dataloader.dataset.ann_file != cfg.test_dataloader.dataset.ann_file
    assert cfg.val_evaluator.ann_file.endswith('coco/train.json')
    assert cfg.test_evaluator.ann_file.endswith(cfg.test_dataloader.dataset.ann_file)
    assert _names(val) == {f'set05_V{v}_I{f:05d}.jpg' for v in ('000', '012') for f in (2, 5)}
    assert len(train) == 12
    assert {n[:5] for n in _names(train)} == {'set00', 'set01', 'set02', 'set03', 'set04'}
    assert not _names(train) & _names(val)
    if 'new-anno' not in name:
        test = build_dataset_at(cfg.test_dataloader.dataset, root)
        assert _names(test) == {'set06_V000_I00002.jpg', 'set06_V000_I00005.jpg'}
    # the checkpoint hook selects on the validation metric
    assert cfg.default_hooks.checkpoint.save_best == 'pedestrian/Reasonable'


def test_ablations_keep_the_data_settings():
    others = [n for n in ALL_CALTECH + INRIA if n not in CALTECH + INRIA]
    assert len(others) >= 10
    for name in others:
        text = (CONFIG_DIR / name).read_text()
        assert not any(key in text for key in ('dataloader', 'evaluator', 'sequences',
                                               'holdout', 'datasets/')), name


def test_caltech_sequences_by_video_and_errors(tmp_path):
    root = _caltech(tmp_path)
    kw = dict(data_root=str(root), ann_file='coco/train.json', pipeline=[])
    ds = CaltechDataset(sequences=['set00_V001', 'set04'], **kw)
    assert _names(ds) == {'set00_V001_I00002.jpg', 'set00_V001_I00005.jpg',
                          'set04_V000_I00002.jpg', 'set04_V000_I00005.jpg'}
    assert len(CaltechDataset(sequences=None, **kw)) == 16
    with pytest.raises(ValueError, match=r"train\.json.*sequences.*\['set06', 'set05_V001'\]"):
        CaltechDataset(sequences=['set00', 'set06', 'set05_V001'], **kw)
    with pytest.raises(TypeError, match='list of names'):
        CaltechDataset(sequences='set05', **kw)
    # a frame whose name is no Caltech frame name cannot be assigned to a set
    data = json.loads((root / 'coco' / 'train.json').read_text())
    data['images'][3]['file_name'] = 'frame_0004.jpg'
    (root / 'coco' / 'odd.json').write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"odd\.json: record 4: field 'file_name'.*frame_0004"):
        CaltechDataset(data_root=str(root), ann_file='coco/odd.json', sequences=['set00'],
                       pipeline=[])


INRIA_ANNOTATION = '''# PASCAL Annotation Version 1.00

Image filename : "Train/pos/{name}.png"
Image size (X x Y x C) : 320 x 240 x 3
Objects with ground truth : 1 {{ "PASperson" }}

# Details for object 1 ("PASperson")
Original label for object 1 "PASperson" : "UprightPerson"
Center point on object 1 "PASperson" (X, Y) : (40, 30)
Bounding box for object 1 "PASperson" (Xmin, Ymin) - (Xmax, Ymax) : (20, 20) - (60, 120)
'''


def _inria(root, num=23):
    """Train/annotations with ``num`` images (written in reverse name order), Test with 2."""
    for split, names in (('Train', [f'crop{i:06d}' for i in range(num)][::-1]),
                         ('Test', ['crop_000001', 'crop_000002'])):
        (root / split / 'annotations').mkdir(parents=True)
        for n in names:
            (root / split / 'annotations' / f'{n}.txt').write_text(
                INRIA_ANNOTATION.format(name=n).replace('Train/', f'{split}/'))
    return root


@pytest.mark.parametrize('name', INRIA)
def test_inria_configs_validate_on_every_10th_training_image(tmp_path, name):
    root = _inria(tmp_path)
    cfg, train, val, test = build_splits(CONFIG_DIR / name, root)
    ids = lambda ds: [ds.get_data_info(i)['img_id'] for i in range(len(ds))]  # noqa: E731
    # sorted ranks 0, 10, 20 of the 23 training images
    assert sorted(ids(val)) == ['crop000000', 'crop000010', 'crop000020']
    assert len(train) == 20 and not set(ids(train)) & set(ids(val))
    assert set(ids(train)) | set(ids(val)) == {f'crop{i:06d}' for i in range(23)}
    assert sorted(ids(test)) == ['crop_000001', 'crop_000002']
    assert val.get_data_info(0)['img_path'].startswith(str(root) + '/Train/pos/')
    assert cfg.val_evaluator.ann_file.endswith('Train/annotations')
    assert cfg.test_evaluator.ann_file.endswith('Test/annotations')


@pytest.mark.parametrize('every,val_size', [(2, 12), (22, 2), (23, 1), (24, 1)])
def test_holdout_boundaries(tmp_path, every, val_size):
    root = _inria(tmp_path)
    kw = dict(data_root=str(root), ann_file='Train/annotations', pipeline=[])
    val = INRIADataset(holdout=dict(every=every, part='val'), **kw)
    train = INRIADataset(holdout=dict(every=every, part='train'), **kw)
    assert len(val) == val_size and len(train) == 23 - val_size


@pytest.mark.parametrize('holdout,error,match', [
    (dict(every=1, part='val'), ValueError, 'int >= 2'),
    (dict(every=2.0, part='val'), ValueError, 'int >= 2'),
    (dict(every=10, part='test'), ValueError, "'train' or 'val'"),
    (dict(every=10), KeyError, 'every, part'),
    (dict(every=10, part='val', offset=1), KeyError, 'offset'),
])
def test_holdout_errors(tmp_path, holdout, error, match):
    root = _inria(tmp_path, 3)
    with pytest.raises(error, match=match):
        INRIADataset(data_root=str(root), ann_file='Train/annotations', pipeline=[],
                     holdout=holdout)


@pytest.mark.realdata
def test_caltech_sequences_on_the_real_test_json(shared_data):
    """The real 4,024-frame test json: its sets split as the frame names say."""
    ann = shared_data / 'caltech' / 'pedestron' / 'test.json'
    ds = CaltechDataset(ann_file=str(ann), sequences=['set07', 'set10_V000'], pipeline=[],
                        test_mode=True)
    names = _names(ds)
    assert {n[:5] for n in names} == {'set07', 'set10'}
    assert all(n.startswith('set10_V000_') for n in names if n.startswith('set10'))
    assert len([n for n in names if n.startswith('set07')]) == 746
    with pytest.raises(ValueError, match=r"\['set05'\] match no frame .*'set06'"):
        CaltechDataset(ann_file=str(ann), sequences=['set05'], pipeline=[], test_mode=True)
