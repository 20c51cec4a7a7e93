# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det: sequence split, test-split frames and MOTChallenge submission files (issue 17
item 5)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmped.datasets import MOT17DetDataset
from mmped.datasets.mot17det import MOT17DET_TEST_SEQUENCES, MOT17DET_TRAIN_SEQUENCES
from mmped.evaluation.metrics import MOTChallengeDetWriter
from mmped.testing import REPO_ROOT

from .gdfl_testutils import build_splits

CONFIG_DIR = REPO_ROOT / 'configs' / 'gdfl'
MOT_CONFIGS = ['gdfl_vgg16_4xb8-12e_mot17det.py', 'ca-gdfl_vgg16_4xb8-12e_mot17det.py']


def _seqinfo(seq_dir, length, width=1920, height=1080):
    seq_dir.mkdir(parents=True, exist_ok=True)
    (seq_dir / 'seqinfo.ini').write_text(
        f'[Sequence]\nname={seq_dir.name}\nimDir=img1\nframeRate=30\nseqLength={length}\n'
        f'imWidth={width}\nimHeight={height}\nimExt=.jpg\n')


def make_mot17det(root):
    """Every train sequence with 2 frames and one pedestrian per frame; test sequences bare."""
    for i, seq in enumerate(MOT17DET_TRAIN_SEQUENCES):
        d = root / 'train' / seq
        _seqinfo(d, 2)
        (d / 'gt').mkdir()
        (d / 'gt' / 'gt.txt').write_text(f'1,1,{10 + i},20,30,80,1,1,1.0\n'
                                         f'2,1,{12 + i},20,30,80,1,1,0.8\n')
    for seq in MOT17DET_TEST_SEQUENCES:
        _seqinfo(root / 'test' / seq, 3, *((640, 480) if seq == 'MOT17-06' else (1920, 1080)))
    return root


@pytest.mark.parametrize('name', MOT_CONFIGS)
def test_config_splits_by_sequence(tmp_path, name):
    root = make_mot17det(tmp_path)
    cfg, train, val, test = build_splits(CONFIG_DIR / name, root)
    seqs = lambda ds: {ds.get_data_info(i)['img_id'].split('/')[0] for i in range(len(ds))}  # noqa
    assert seqs(val) == {'MOT17-09'}
    assert seqs(train) == set(MOT17DET_TRAIN_SEQUENCES) - {'MOT17-09'}
    assert len(train) == 12 and len(val) == 2
    # the test split: every frame of every test sequence, no ground truth
    assert seqs(test) == set(MOT17DET_TEST_SEQUENCES) and len(test) == 21
    info = test.get_data_info(0)
    assert info['img_id'] == 'MOT17-01/000001' and info['instances'] == []
    assert info['img_path'].endswith('test/MOT17-01/img1/000001.jpg')
    assert cfg.test_evaluator.type == 'MOTChallengeDetWriter'
    assert cfg.val_evaluator.type == 'MOT17DetMetric'


@pytest.mark.parametrize('name', MOT_CONFIGS)
def test_train_and_test_resize_the_same_way(name):
    cfg = Config.fromfile(CONFIG_DIR / name)
    pipelines = [cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline,
                 cfg.test_dataloader.dataset.pipeline]
    resizes = [[(t.scale, t.keep_ratio) for t in p if t.type == 'Resize'] for p in pipelines]
    assert resizes == [[((1920, 1080), True)]] * 3


def test_unknown_sequence_is_an_error(tmp_path):
    root = make_mot17det(tmp_path)
    with pytest.raises(ValueError, match=r"sequences.*MOT17-99"):
        MOT17DetDataset(data_root=str(root), ann_file='train', data_prefix=dict(img='train/'),
                        sequences=['MOT17-02', 'MOT17-99'], pipeline=[])
    ds = MOT17DetDataset(data_root=str(root), ann_file='train', data_prefix=dict(img='train/'),
                         sequences=['MOT17-05'], pipeline=[])
    boxes = [inst['bbox'] for i in range(len(ds)) for inst in ds.get_data_info(i)['instances']]
    assert boxes == [[12., 20., 42., 100.], [14., 20., 44., 100.]]


def _sample(img_id, boxes, scores):
    return dict(img_id=img_id, pred_instances=InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        scores=torch.tensor(scores), labels=torch.zeros(len(scores), dtype=torch.long)))


def test_motchallenge_writer_hand_checked(tmp_path):
    out = tmp_path / 'sub'
    writer = MOTChallengeDetWriter(outfile_dir=str(out), score_thr=0.1)
    writer.process({}, [
        _sample('MOT17-01/000002', [[10., 20., 40., 100.], [0., 0., 5., 5.]], [0.5, 0.05]),
        _sample('MOT17-01/000001', [[1., 2., 3., 4.], [5., 6., 9., 16.]], [0.25, 0.75]),
        _sample('MOT17-03/000001', [], []),
    ])
    assert writer.evaluate(3) == {}
    assert (out / 'MOT17-01.txt').read_text() == (
        '1,-1,5.00,6.00,4.00,10.00,0.750000,-1,-1,-1\n'
        '1,-1,1.00,2.00,2.00,2.00,0.250000,-1,-1,-1\n'
        '2,-1,10.00,20.00,30.00,80.00,0.500000,-1,-1,-1\n')
    assert (out / 'MOT17-03.txt').read_text() == ''
    again = MOTChallengeDetWriter(outfile_dir=str(out))
    again.process({}, [_sample('MOT17-01/000001', [[1., 2., 3., 4.]], [0.5])])
    with pytest.raises(FileExistsError, match='MOT17-01.txt'):
        again.evaluate(1)
    bad = MOTChallengeDetWriter(outfile_dir=str(tmp_path / 'bad'))
    bad.process({}, [_sample('frame_7', [], [])])
    with pytest.raises(ValueError, match='frame_7'):
        bad.evaluate(1)
