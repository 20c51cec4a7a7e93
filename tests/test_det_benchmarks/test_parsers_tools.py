# Copyright (c) mmped contributors. All rights reserved.
"""Parsers of every format (real samples when present), converters and the eval_mr tool."""
import json
import math
import struct

import numpy as np
import pytest

from mmped.datasets.parsers import (
    group_detections,
    parse_caltech,
    parse_citypersons,
    parse_inria,
    parse_kaist,
    parse_kitti,
    parse_mot,
)
from mmped.evaluation.functional import eval_kitti_pedestrian_ap, eval_mot17det_ap
from mmped.testing import REPO_ROOT, shared_file


def run_tool(script, *args):
    """Run a repo script's ``main(argv)`` in-process (importing mmped in a subprocess costs
    ~20 s on the CI machine); returns ``(returncode, stdout + stderr)``."""
    import contextlib
    import importlib.util
    import io
    spec = importlib.util.spec_from_file_location('_tool', REPO_ROOT / script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    buf = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            mod.main([str(a) for a in args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
            buf.write(str(e.code))
    return code, buf.getvalue()


@pytest.mark.realdata
def test_inria_real_annotation():
    recs = parse_inria(shared_file('inria', 'INRIAPerson', 'Test', 'annotations'))
    assert len(recs) == 1
    r = recs[0]
    assert r['file_name'] == 'Test/pos/crop_000001.png' and (r['width'], r['height']) == (491, 720)
    assert r['instances'][0]['bbox'] == [142.0, 66.0, 340.0, 646.0]
    assert r['instances'][0]['ignore_flag'] == 0 and math.isinf(r['instances'][0]['vis_ratio'])


@pytest.mark.realdata
def test_kitti_real_labels_and_ap(tmp_path):
    recs = parse_kitti(shared_file('kitti', 'training', 'label_2'))
    assert [r['img_id'] for r in recs] == [f'{i:06d}' for i in range(6)]
    r5 = {r['img_id']: r for r in recs}['000005']['instances']
    assert [i['kitti_type'] for i in r5] == ['Pedestrian'] + ['DontCare'] * 4
    assert r5[0]['bbox'] == [330.06, 178.74, 360.77, 238.64] and r5[1]['ignore_flag'] == 1
    bad = tmp_path / '000000.txt'
    bad.write_text('Pedestrian 0.00 0 -0.20 712.40 143.00\n')
    with pytest.raises(ValueError, match='000000.txt: record line 1'):
        parse_kitti(tmp_path)


def _kitti_image(i, typ='Pedestrian', h=60.0, occ=0, trunc=0.0):
    from mmped.datasets.parsers import make_instance
    return dict(img_id=i, instances=[make_instance([10, 10, 20, h], typ != 'Pedestrian', typ,
                                                   occlusion=occ, truncation=trunc,
                                                   kitti_type=typ)])


def test_kitti_ap_hand_worked():
    # 80 images, one easy pedestrian each, detected perfectly with distinct scores (the
    # devkit samples 41 recall positions from the TP scores: 80 GT give all 41)
    gts = [_kitti_image(i) for i in range(80)]
    perfect = {i: (np.array([[10, 10, 30, 70.]]), np.array([1 - i / 100])) for i in range(80)}
    ap = eval_kitti_pedestrian_ap(gts, perfect)
    assert ap['easy_R40'] == pytest.approx(100.0) and ap['easy_R11'] == pytest.approx(100.0)
    # half of them missed -> precision 1 up to recall .5: R40 = 20/40, R11 = 6/11
    half = {i: perfect[i] for i in range(40)}
    ap = eval_kitti_pedestrian_ap(gts, half)
    assert ap['easy_R40'] == pytest.approx(50.0)
    assert ap['easy_R11'] == pytest.approx(6 / 11 * 100)
    # a 30 px pedestrian is ignored in easy (min height 40) and a Person_sitting everywhere:
    # top-scored detections on them are neither TP nor FP
    gts2 = gts + [_kitti_image(80, h=30.0), _kitti_image(81, typ='Person_sitting')]
    dets2 = dict(perfect)
    dets2[80] = (np.array([[10, 10, 30, 40.]]), np.array([1.5]))
    dets2[81] = (np.array([[10, 10, 30, 70.]]), np.array([1.4]))
    assert eval_kitti_pedestrian_ap(gts2, dets2, ('easy', ))['easy_R40'] == pytest.approx(100.0)
    dets2[80] = (np.array([[200, 10, 230, 70.]]), np.array([1.5]))  # a real false positive
    assert eval_kitti_pedestrian_ap(gts2, dets2, ('easy', ))['easy_R40'] < 100.0


@pytest.mark.realdata
def test_mot_real_gt_and_ap(tmp_path):
    gt = parse_mot(shared_file('mot15_tud', 'TUD-Campus', 'gt.txt'))
    assert len(gt) == 71 and gt[0]['img_id'] == 'TUD-Campus/000001'
    assert len(gt[0]['instances']) == 6 and gt[0]['instances'][0]['bbox'] == [399, 182, 520, 411]
    rows = np.loadtxt(shared_file('mot15_tud', 'TUD-Campus', 'test.txt'), delimiter=',')
    dts = group_detections([f'TUD-Campus/{int(f):06d}' for f in rows[:, 0]], rows[:, 2:6],
                           np.ones(len(rows)))
    res = eval_mot17det_ap(gt, dts)
    assert res['num_gt'] == 359 and res['tp'] + res['fp'] == len(rows)
    # MOT17 flags / classes: flag 0 and distractors ignored, cars dropped
    seq = tmp_path / 'MOT17-02' / 'gt'
    seq.mkdir(parents=True)
    (seq / 'gt.txt').write_text('1,1,0,0,10,20,1,1,1.0\n1,2,50,0,10,20,0,1,1.0\n'
                                '1,3,100,0,10,20,1,8,0.5\n1,4,200,0,40,20,1,3,1.0\n')
    recs = parse_mot(tmp_path)
    assert [i['ignore_flag'] for i in recs[0]['instances']] == [0, 1, 1]
    d = {'MOT17-02/000001': (np.array([[0, 0, 10, 20], [50, 0, 10, 20], [100, 0, 10, 20],
                                       [300, 0, 10, 20.]]), np.array([.9, .8, .7, .6]))}
    res = eval_mot17det_ap(recs, d)
    assert (res['tp'], res['fp'], res['num_gt']) == (1, 1, 1)
    assert res['AP'] == pytest.approx(100.0)


@pytest.mark.realdata
def test_caltech_real_json_and_bbgt(tmp_path):
    recs = parse_caltech(shared_file('caltech', 'pedestron', 'test.json'))
    assert len(recs) == 4024 and sum(len(r['instances']) for r in recs) == 7596
    frame = [r for r in recs if r['file_name'] == 'set06_V002_I00089.jpg'][0]['instances']
    assert sum(1 - i['ignore_flag'] for i in frame) == 6 and len(frame) == 8
    # bbGt v3 folder (the "new annotations" layout): labels other than person are ignored
    d = tmp_path / 'anno'
    d.mkdir()
    (d / 'set06_V000_I00029.jpg.txt').write_text(
        '% bbGt version=3\nperson 10 20 30 80 1 10 20 30 40 0 0\n'
        'people 100 20 30 80 0 0 0 0 0 0 0\nperson 200 20 30 80 0 0 0 0 0 0 0\n')
    (d / 'set06_V000_I00059.jpg.txt').write_text('% bbGt version=3\n')
    recs = parse_caltech(d)
    assert [r['img_id'] for r in recs] == ['set06_V000_I00029', 'set06_V000_I00059']
    inst = recs[0]['instances']
    assert [i['ignore_flag'] for i in inst] == [0, 1, 0]
    assert inst[0]['vis_ratio'] == pytest.approx(0.5) and math.isinf(inst[2]['vis_ratio'])
    (d / 'set06_V000_I00089.txt').write_text('% bbGt version=3\nperson 10 20 x 80 0 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match=r'I00089.txt: record line 2: field .column 4'):
        parse_caltech(d)


def test_kaist_bbgt_paired_layout(tmp_path):
    """Paired annotations (Zhang et al.): ``setXX/VYYY/{visible,lwir}/IZZZZZ.txt``; the chosen
    modality's boxes are the instances, the other modality's are kept as ``paired_instances``."""
    for modality, x in (('visible', 1), ('lwir', 4)):
        folder = tmp_path / 'set09' / 'V000' / modality
        folder.mkdir(parents=True)
        (folder / 'I00019.txt').write_text(f'% bbGt version=3\nperson {x} 2 3 60 2 0 0 0 0 0 0\n'
                                           f'cyclist {x} 2 3 60 0 0 0 0 0 0 0\n')
    with pytest.raises(ValueError, match="modality='visible' or 'lwir'"):
        parse_kaist(tmp_path)
    recs = parse_kaist(tmp_path, modality='visible')
    assert recs[0]['file_name'] == 'set09/V000/I00019' and recs[0]['condition'] == 'night'
    assert [i['occlusion'] for i in recs[0]['instances']] == [2, 0]
    assert [i['ignore_flag'] for i in recs[0]['instances']] == [0, 1]
    assert [i['bbox'][0] for i in recs[0]['instances']] == [1, 1]
    assert [i['bbox'][0] for i in recs[0]['paired_instances']] == [4, 4]


def _write_vbb(path, n_frame=60):
    from scipy.io import savemat
    dt = [('id', 'O'), ('pos', 'O'), ('posv', 'O'), ('occl', 'O'), ('lock', 'O')]
    lists = np.empty((1, n_frame), dtype=object)
    for f in range(n_frame):
        objs = np.zeros((1, 2), dtype=dt)
        objs[0, 0] = (1, np.array([[10., 20, 30, 80]]), np.array([[10., 20, 30, 40]]), 1, 0)
        objs[0, 1] = (2, np.array([[100., 20, 30, 80]]), np.zeros((1, 4)), 0, 0)
        lists[0, f] = objs
    lbl = np.empty((1, 2), dtype=object)
    lbl[0, 0], lbl[0, 1] = 'person', 'people'
    savemat(str(path), dict(A=dict(nFrame=n_frame, objLists=lists, objLbl=lbl)))


def _write_seq(path, n_frame=60, trailer=10):
    import cv2
    header = bytearray(1024)
    struct.pack_into('<I', header, 0, 0xFEED)
    struct.pack_into('<I', header, 572, n_frame)
    body = bytearray()
    for f in range(n_frame):
        ok, jpg = cv2.imencode('.jpg', np.full((8, 8, 3), f, np.uint8))
        jpg = jpg.tobytes()
        body += struct.pack('<I', len(jpg) + 4) + jpg + bytes(trailer)
    path.write_bytes(bytes(header + body))


def _write_caltech_tree(root):
    """The toolbox layout with one video: ``annotations/set06/V000.vbb`` and
    ``videos/set06/V000.seq`` (60 frames) under ``root``."""
    (root / 'annotations' / 'set06').mkdir(parents=True)
    (root / 'videos' / 'set06').mkdir(parents=True)
    _write_vbb(root / 'annotations' / 'set06' / 'V000.vbb')
    _write_seq(root / 'videos' / 'set06' / 'V000.seq')
    return root


def test_caltech_converter_and_dataset(tmp_path):
    root = _write_caltech_tree(tmp_path / 'caltech')
    out = tmp_path / 'coco'
    res = run_tool('tools/dataset_converters/caltech_seq_to_coco.py', str(root), str(out),
                   '--sets', '6', '--skip', '30')
    assert res[0] == 0, res[1]
    assert sorted(p.name for p in (out / 'images').iterdir()) == [
        'set06_V000_I00029.jpg', 'set06_V000_I00059.jpg']
    import cv2
    assert cv2.imread(str(out / 'images' / 'set06_V000_I00059.jpg'))[0, 0, 0] in (58, 59, 60)
    recs = parse_caltech(out / 'test.json')
    assert [r['file_name'] for r in recs] == ['set06_V000_I00029.jpg', 'set06_V000_I00059.jpg']
    inst = recs[0]['instances']
    assert [i['ignore_flag'] for i in inst] == [0, 1] and inst[0]['vis_ratio'] == 0.5
    vbb_recs = parse_caltech(root / 'annotations')
    assert [i['bbox'] for i in vbb_recs[1]['instances']] == [i['bbox'] for i in
                                                            recs[1]['instances']]
    from mmped.registry import DATASETS
    from mmped.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    ds = DATASETS.build(dict(type='CaltechDataset', ann_file=str(out / 'test.json'),
                             data_prefix=dict(img=str(out / 'images')), pipeline=[]))
    assert ds[1]['img_path'].endswith('set06_V000_I00059.jpg')
    # malformed seq: error names file, record and field
    (root / 'videos' / 'set06' / 'V000.seq').write_bytes(b'\x00' * 2000)
    res = run_tool('tools/dataset_converters/caltech_seq_to_coco.py', str(root),
                   str(tmp_path / 'coco2'), '--sets', '6')
    assert res[0] != 0 and 'V000.seq: record header: field magic' in res[1]


@pytest.mark.realdata
def test_citypersons_converter_roundtrip(tmp_path):
    src = shared_file('citypersons', 'anno_val.mat')
    out = tmp_path / 'val.json'
    res = run_tool('tools/dataset_converters/citypersons_to_coco.py', str(src), str(out))
    assert res[0] == 0, res[1]
    a, b = parse_citypersons(out), parse_citypersons(src)
    assert [r['file_name'] for r in a] == [r['file_name'] for r in b]
    assert [i['bbox'] for r in a for i in r['instances']] == \
        [i['bbox'] for r in b for i in r['instances']]
    res = run_tool('tools/dataset_converters/citypersons_to_coco.py', str(out), str(out))
    assert res[0] != 0 and 'refusing to overwrite' in res[1]
    res = run_tool('tools/dataset_converters/citypersons_to_coco.py', str(out), str(out),
                   '--overwrite')
    assert res[0] != 0 and 'refusing to overwrite input' in res[1]


def test_gtbbox_citypersons_layout(tmp_path):
    d = tmp_path / 'gtBboxCityPersons' / 'val' / 'lindau'
    d.mkdir(parents=True)
    (d / 'lindau_000000_000019_gtBboxCityPersons.json').write_text(json.dumps(dict(
        imgHeight=1024, imgWidth=2048, objects=[
            dict(label='pedestrian', bbox=[1, 2, 20, 50], bboxVis=[1, 2, 20, 25],
                 instanceId=24000),
            dict(label='sitting person', bbox=[100, 2, 20, 50], bboxVis=[100, 2, 20, 50],
                 instanceId=24001)])))
    recs = parse_citypersons(tmp_path / 'gtBboxCityPersons' / 'val')
    assert recs[0]['file_name'] == 'lindau/lindau_000000_000019_leftImg8bit.png'
    assert [i['category'] for i in recs[0]['instances']] == ['pedestrian', 'sitting']
    assert [i['ignore_flag'] for i in recs[0]['instances']] == [0, 1]
    assert recs[0]['instances'][0]['vis_ratio'] == 0.5


@pytest.mark.realdata
def test_eval_mr_tool_citypersons(tmp_path):
    gt = shared_file('citypersons', 'val_gt.json')
    dts = shared_file('citypersons', 'val_groundtruth_dt.json')
    out, plot = tmp_path / 'mr.json', tmp_path / 'mr.png'
    res = run_tool('tools/analysis/eval_mr.py', str(gt), str(dts), '--protocol', 'citypersons',
                   '--out', str(out), '--plot', str(plot))
    assert res[0] == 0, res[1]
    assert json.loads(out.read_text()) == {'Reasonable': 0.0, 'Reasonable_small': 0.0,
                                           'Heavy': 0.0, 'All': 0.0}
    assert plot.stat().st_size > 1000
    assert (REPO_ROOT / 'tools' / 'analysis' / 'eval_mr.py').exists()


@pytest.mark.realdata
def test_eval_mr_tool_kaist_keys(tmp_path):
    gt = shared_file('kaist', 'mlpd', 'KAIST_annotation.json')
    dts = shared_file('kaist', 'mlpd', 'state_of_arts', 'MBNet_result.txt')
    out = tmp_path / 'k.json'
    res = run_tool('tools/analysis/eval_mr.py', str(gt), str(dts), '--protocol', 'kaist',
                   '--setups', 'Reasonable-all', 'Reasonable-day', 'Reasonable-night',
                   '--out', str(out))
    assert res[0] == 0, res[1]
    got = {k: round(v, 2) for k, v in json.loads(out.read_text()).items()}
    assert got == {'Reasonable-all': 8.13, 'Reasonable-day': 8.28, 'Reasonable-night': 7.86,
                   'recall-all': 98.42}
