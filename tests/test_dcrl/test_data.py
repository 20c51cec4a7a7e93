# Copyright (c) mmped contributors. All rights reserved.
"""KAIST dataset, paired pipeline and multi-modal data preprocessor."""
import logging

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmped.datasets import KAISTDataset
from mmped.datasets.parsers import parse_kaist
from mmped.registry import MODELS
from mmped.testing import REPO_ROOT, shared_file
from mmped.utils import register_all_modules

from .conftest import tiny_model_cfg
from .kaist_tiny import EMPTY_FRAMES, PAIRED_SHIFT, TEST_FRAMES, TRAIN_FRAMES, make_tiny_kaist

register_all_modules(init_default_scope=True)

TEMPLATE = '{set}/{video}/{modality}/{frame}.png'
PAIRED_TEST = [
    dict(type='LoadPairedImageFromFile', lwir_channels=3),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackPairedDetInputs'),
]


def _dataset(root, pipeline=(), **kwargs):
    args = dict(data_root=str(root), ann_file='annotations/train',
                image_set='imageSets/train.txt', data_prefix=dict(img='images/'),
                img_template=TEMPLATE, pipeline=list(pipeline))
    args.update(kwargs)
    return KAISTDataset(**args)


def test_kaist_dataset_variants_and_conditions(tmp_path):
    root = make_tiny_kaist(tmp_path / 'kaist')
    train = _dataset(root)
    assert len(train) == 3
    info = train.get_data_info(0)
    assert info['img_path'].endswith('set00/V000/visible/I00001.png')
    assert info['lwir_path'].endswith('set00/V000/lwir/I00001.png')
    assert info['condition'] == 'day' and train.get_data_info(2)['condition'] == 'night'
    assert [i['ignore_flag'] for i in info['instances']] == [0, 1]  # person, people
    assert len(_dataset(root, conditions='night')) == 1
    # the improved-test json with the split list (json ids kept)
    test = _dataset(root, ann_file='annotations/test.json', image_set='imageSets/test.txt',
                    test_mode=True)
    assert [test.get_data_info(i)['img_id'] for i in range(2)] == [0, 1]
    assert [test.get_data_info(i)['condition'] for i in range(2)] == ['day', 'night']
    # a split list naming a frame without annotation is an error naming the frame
    (root / 'imageSets' / 'bad.txt').write_text('set00/V000/I00099\n')
    with pytest.raises(ValueError, match='I00099'):
        _dataset(root, image_set='imageSets/bad.txt')


def _boxes(instances):
    return [inst['bbox'] for inst in instances]


def test_paired_annotations_keep_both_modalities(tmp_path):
    """annotations_paired/setXX/VYYY/{visible,lwir}/I*.txt as distributed: both box sets."""
    root = make_tiny_kaist(tmp_path / 'kaist')
    visible = _dataset(root, ann_file='annotations_paired')
    lwir = _dataset(root, ann_file='annotations_paired', box_modality='lwir')
    shared = _dataset(root)  # the same frames' boxes, flat single-set layout
    dx, dy = PAIRED_SHIFT
    for i in range(len(TRAIN_FRAMES)):
        v, t, s = (d.get_data_info(i) for d in (visible, lwir, shared))
        assert _boxes(v['instances']) == _boxes(s['instances'])
        shifted = [[b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy]
                   for b, inst in zip(_boxes(s['instances']), s['instances'])
                   if inst['category'] == 'person']
        # each modality's own boxes, the other one's kept as paired_instances
        assert _boxes(t['instances']) == shifted != _boxes(v['instances'])
        assert _boxes(v['paired_instances']) == shifted
        assert _boxes(t['paired_instances']) == _boxes(v['instances'])
    # test frames of the same set, with the split list
    test = _dataset(root, ann_file='annotations_paired', image_set='imageSets/test.txt',
                    box_modality='lwir', test_mode=True)
    assert [test.get_data_info(i)['frame'] for i in range(2)] == list(TEST_FRAMES)
    # a paired frame without its lwir file is an error naming frame and modality
    (root / 'annotations_paired' / 'set00' / 'V000' / 'lwir' / 'I00003.txt').unlink()
    with pytest.raises(ValueError, match=r'I00003.*lwir'):
        _dataset(root, ann_file='annotations_paired')
    # the parser refuses to guess which boxes of a per-modality set to use
    with pytest.raises(ValueError, match='modality'):
        parse_kaist(root / 'annotations_paired', root / 'imageSets' / 'test.txt')


def test_original_tree_layout_and_names():
    from mmped.datasets.parsers.kaist import kaist_txt_key
    assert kaist_txt_key('set00/V000/I01225.txt') == ('set00/V000/I01225', None)
    assert kaist_txt_key('set06_V000_I00019.txt') == ('set06/V000/I00019', None)
    assert kaist_txt_key('set06/V000/lwir/I00019.txt') == ('set06/V000/I00019', 'lwir')
    assert kaist_txt_key('set06_V000_visible_I00019.txt') == ('set06/V000/I00019', 'visible')
    assert kaist_txt_key('visible/set06/V000/I00019.txt') == ('set06/V000/I00019', 'visible')
    with pytest.raises(ValueError, match='README'):
        kaist_txt_key('README.txt')


def test_empty_frames_are_negatives_by_default(tmp_path):
    """train list with person-less frames: kept (paper), dropped only with filter_empty_gt."""
    root = make_tiny_kaist(tmp_path / 'kaist')
    split = 'imageSets/train-with-empty.txt'
    n_all = len(TRAIN_FRAMES) + len(EMPTY_FRAMES)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        kept = _dataset(root, ann_file='annotations/train-original', image_set=split)
        filtered = _dataset(root, ann_file='annotations/train-original', image_set=split,
                            filter_cfg=dict(filter_empty_gt=True))
    finally:
        logger.removeHandler(handler)
    assert len(kept) == n_all and kept.num_empty_frames == len(EMPTY_FRAMES)
    assert len(filtered) == len(TRAIN_FRAMES) and filtered.num_empty_frames == 0
    assert kept.get_data_info(n_all - 1)['instances'] == []
    log = '\n'.join(r.getMessage() for r in records)
    assert (f'{n_all} of {n_all} frames kept from {split}, {len(EMPTY_FRAMES)} of them '
            'without a non-ignored person (filter_empty_gt=False)') in log
    assert f'{len(TRAIN_FRAMES)} of {n_all} frames kept' in log
    # the shipped KAIST training set keeps the empty frames
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / 'dcrl' / 'dcrl_vgg16_1xb2-100e_kaist.py'))
    assert not cfg.train_dataloader.dataset.filter_cfg.get('filter_empty_gt', False)


def test_paired_loading_gray_and_rgb_lwir(tmp_path):
    for gray in (True, False):
        root = make_tiny_kaist(tmp_path / f'kaist{gray}', gray_lwir=gray)
        results = _dataset(root, pipeline=PAIRED_TEST)[0]
        inputs = results['inputs']
        assert inputs.shape == (6, 64, 80) and inputs.dtype == torch.uint8
        # the thermal slice repeats the gray image, whatever the stored channel count
        assert torch.equal(inputs[3], inputs[4]) and torch.equal(inputs[3], inputs[5])
        assert results['data_samples'].lwir_path.endswith('I00001.png')
        assert results['data_samples'].modality_channels == (3, 3)
    one = Compose([dict(type='LoadPairedImageFromFile', lwir_channels=1)])
    out = one(dict(img_path=_dataset(root).get_data_info(0)['img_path'],
                   lwir_path=_dataset(root).get_data_info(0)['lwir_path']))
    assert out['img'].shape == (64, 80, 4) and out['modality_channels'] == (3, 1)


def test_paired_loading_errors_name_both_paths(tmp_path):
    root = make_tiny_kaist(tmp_path / 'kaist')
    info = _dataset(root).get_data_info(0)
    load = Compose([dict(type='LoadPairedImageFromFile')])
    lwir = info['lwir_path']
    cv2.imwrite(lwir, np.zeros((32, 40), np.uint8))
    with pytest.raises(ValueError, match='size mismatch') as err:
        load(dict(img_path=info['img_path'], lwir_path=lwir))
    assert info['img_path'] in str(err.value) and lwir in str(err.value)
    missing = lwir.replace('I00001', 'I00077')
    with pytest.raises(FileNotFoundError) as err:
        load(dict(img_path=info['img_path'], lwir_path=missing))
    assert missing in str(err.value) and info['img_path'] in str(err.value)


def test_geometric_joint_and_photometric_per_modality(tmp_path):
    root = make_tiny_kaist(tmp_path / 'kaist')
    info = _dataset(root).get_data_info(0)
    base = Compose([dict(type='LoadPairedImageFromFile')])(
        dict(img_path=info['img_path'], lwir_path=info['lwir_path']))['img']
    pipeline = Compose([
        dict(type='LoadPairedImageFromFile'),
        dict(type='PerModalityTransform', modality='lwir',
             transforms=[dict(type='PhotoMetricDistortion', brightness_delta=0,
                              contrast_range=(2.0, 2.0), saturation_range=(1.0, 1.0),
                              hue_delta=0)]),
        dict(type='RandomFlip', prob=1.0),
        dict(type='Resize', scale=(40, 32), keep_ratio=False),
    ])
    # a seed whose first PhotoMetricDistortion draws switch the contrast change on
    seed = next(s for s in range(100)
                if np.random.RandomState(s).randint(2, size=3)[2] == 1)
    np.random.seed(seed)
    out = pipeline(dict(img_path=info['img_path'], lwir_path=info['lwir_path']))['img']
    assert out.shape == (32, 40, 6) and out.dtype == np.float32
    scaled = base.astype(np.float32)
    scaled[..., 3:] *= 2.0  # contrast x2 on the thermal channels only
    expected = cv2.resize(scaled[:, ::-1].copy(), (40, 32), interpolation=cv2.INTER_LINEAR)
    # both modalities flipped and resized together; only the thermal one changed photometrically
    np.testing.assert_allclose(out[..., :3], expected[..., :3], atol=1e-3)
    np.testing.assert_allclose(out[..., 3:], expected[..., 3:], atol=1e-2)
    assert not np.allclose(out[..., 3:], expected[..., 3:] / 2.0, atol=1.0)


def test_multimodal_preprocessor_per_modality():
    pre = MODELS.build(dict(type='MultiModalDetDataPreprocessor',
                            mean=[1, 2, 3, 10, 20, 30], std=[1, 1, 1, 2, 2, 2],
                            bgr_to_rgb=(True, False), pad_size_divisor=16))
    img = torch.arange(6, dtype=torch.uint8).view(6, 1, 1).expand(6, 20, 24).clone()
    from mmdet.structures import DetDataSample
    sample = DetDataSample(metainfo=dict(img_shape=(20, 24)))
    out = pre(dict(inputs=[img], data_samples=[sample]))
    x = out['inputs']
    assert x.shape == (1, 6, 32, 32)
    # visible channels reversed (2, 1, 0) then normalised; thermal kept in order
    expected = torch.tensor([2 - 1, 1 - 2, 0 - 3, (3 - 10) / 2, (4 - 20) / 2, (5 - 30) / 2])
    torch.testing.assert_close(x[0, :, 0, 0], expected)
    assert out['data_samples'][0].batch_input_shape == (32, 32)
    with pytest.raises(ValueError, match='expects 6 channels'):
        pre(dict(inputs=[img[:3]], data_samples=[sample]))
    with pytest.raises(ValueError, match='one value per input channel'):
        MODELS.build(dict(type='MultiModalDetDataPreprocessor', mean=[0] * 3, std=[1] * 3))


@pytest.mark.realdata
def test_real_kaist_pair_flows_through_pipeline_and_model(tmp_path):
    demo = shared_file('kaist', 'mbnet', 'kaist_demo', 'set08_V000_I02159_visible.png').parent
    ann = shared_file('kaist', 'mlpd', 'KAIST_annotation.json')
    txt = shared_file('kaist', 'mbnet', 'improve_annotations_liu', 'test-all', 'annotations')
    split = tmp_path / 'split.txt'
    split.write_text('set08/V000/I02159\n')
    pipeline = [
        dict(type='LoadPairedImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(80, 64), keep_ratio=True),
        dict(type='PackPairedDetInputs'),
    ]
    datasets = [
        KAISTDataset(ann_file=str(ann), image_set=str(split), data_prefix=dict(img=str(demo)),
                     img_template='{set}_{video}_{frame}_{modality}.png', pipeline=pipeline,
                     test_mode=True),
        KAISTDataset(ann_file=str(txt), image_set=str(split), data_prefix=dict(img=str(demo)),
                     img_template='{set}_{video}_{frame}_{modality}.png', pipeline=pipeline,
                     test_mode=True)
    ]
    for ds in datasets:
        assert len(ds) == 1
        item = ds[0]
        assert item['inputs'].shape == (6, 64, 80)
        sample = item['data_samples']
        assert sample.ori_shape == (512, 640) and sample.condition == 'day'
        # the two annotated persons, scaled by 1/8
        boxes = sample.gt_instances.bboxes.tensor
        torch.testing.assert_close(boxes[0], torch.tensor([64.0, 241, 135, 430]) / 8)
        assert len(boxes) == 2
    model = MODELS.build(tiny_model_cfg())
    model.init_weights()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[item['inputs']], data_samples=[sample]))
        loss_in = model.data_preprocessor(
            dict(inputs=[item['inputs']], data_samples=[sample]), training=True)
        results = model.predict(data['inputs'], data['data_samples'])
    pred = results[0].pred_instances
    assert pred.bboxes.shape[1] == 4
    # boxes mapped back to the 640 x 512 frame
    assert float(pred.bboxes[:, 2].max()) <= 640.0 + 1e-3
    model.train()
    losses = model.loss(loss_in['inputs'], loss_in['data_samples'])
    assert torch.isfinite(model.parse_losses(losses)[0])


CONFIGS = sorted((REPO_ROOT / 'configs' / 'dcrl').glob('*.py'))


def _distinct_models():
    seen, out = set(), []
    for path in CONFIGS:
        model = Config.fromfile(str(path)).model
        key = model.pretty_text if hasattr(model, 'pretty_text') else repr(model.to_dict())
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def test_configs_parse_and_metafile_points_at_the_producing_config():
    """Each config parses; every metafile entry's results are of the data its config uses."""
    import yaml
    assert len(CONFIGS) >= 29
    meta = yaml.safe_load((REPO_ROOT / 'configs' / 'dcrl' / 'metafile.yml').read_text())
    by_name = {m['Name']: m for m in meta['Models']}
    assert set(by_name) == {p.stem for p in CONFIGS}
    for path in CONFIGS:
        cfg = Config.fromfile(str(path))
        assert cfg.default_scope == 'mmped' and 'model' in cfg
        assert by_name[path.stem]['Config'] == f'configs/dcrl/{path.name}'
        val, train = cfg.val_dataloader.dataset, cfg.train_dataloader.dataset
        for result in by_name[path.stem].get('Results', []):
            for metric in result['Metrics']:
                if 'improved annotations' in metric:
                    assert val.ann_file == 'KAIST_annotation.json', path.name
                    assert train.ann_file == 'annotations', path.name
                if 'original annotations' in metric:
                    assert val.ann_file == 'annotations' and cfg.val_evaluator.ann_file is None
                if 'paired' in metric:
                    assert val.ann_file == 'annotations_paired', path.name
                    assert val.box_modality == metric.split('paired ')[1].split(')')[0]
                if 'sanitized training' in metric:
                    assert train.ann_file == 'annotations_sanitized', path.name
                if 'NightOwls' in metric or 'Caltech' in metric:
                    assert result['Dataset'] in val.type


@pytest.mark.parametrize('path', _distinct_models(), ids=lambda p: p.stem)
def test_config_models_build(path):
    """The model of every config builds as shipped (one build per distinct model dict)."""
    cfg = Config.fromfile(str(path))
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 10_000_000


def test_one_channel_thermal_end_to_end(tmp_path):
    """lwir_channels=1 with a (3, 1) backbone and a 4-value mean / std."""
    root = make_tiny_kaist(tmp_path / 'kaist')
    pipeline = [dict(type='LoadPairedImageFromFile', lwir_channels=1),
                dict(type='LoadAnnotations', with_bbox=True),
                dict(type='PackPairedDetInputs')]
    item = _dataset(root, pipeline=pipeline)[0]
    assert item['inputs'].shape == (4, 64, 80)
    cfg = tiny_model_cfg()
    cfg['backbone']['in_channels'] = (3, 1)
    cfg['data_preprocessor'].update(mean=[100.0] * 4, std=[50.0] * 4, modality_channels=(3, 1),
                                    bgr_to_rgb=(True, False))
    model = MODELS.build(cfg)
    model.init_weights()
    data = model.data_preprocessor(dict(inputs=[item['inputs']],
                                        data_samples=[item['data_samples']]), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(model.parse_losses(losses)[0])


def test_nightowls_json_flags(tmp_path):
    from mmped.datasets import NightOwlsDataset

    from .nightowls_tiny import make_tiny_nightowls
    root = make_tiny_nightowls(tmp_path / 'no')
    ds = NightOwlsDataset(data_root=str(root), ann_file='nightowls_training.json',
                          data_prefix=dict(img='nightowls_training/'), pipeline=[])
    assert len(ds) == 4  # the person-less frame is kept (negative)
    first, second = ds.get_data_info(0), ds.get_data_info(1)
    assert first['img_id'] == 1000 and first['img_path'].endswith('58c5t0000.png')
    # the pedestrian counts, the bicycle driver is ignored
    assert [i['ignore_flag'] for i in first['instances']] == [0, 1]
    assert first['instances'][0]['vis_ratio'] == float('inf')
    # occluded pedestrian: visible fraction 0, so Reasonable (>= 0.65) ignores it
    assert second['instances'][0]['vis_ratio'] == 0.0
    assert second['instances'][0]['occlusion'] == 1
    assert ds.get_data_info(3)['instances'] == []
