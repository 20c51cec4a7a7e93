# Copyright (c) mmped contributors. All rights reserved.
"""MOTChallenge devkit (``preprocessResult.m`` / ``evaluateDetection.m``) and KITTI devkit
(``evaluate_object.cpp``) behaviours on hand-built files.

Each test writes the reference rule it pins in its docstring.
"""
import numpy as np
import pytest

from mmped.datasets.parsers import parse_mot
from mmped.evaluation.functional import eval_mot17det_ap


def _gt_txt(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(','.join(str(v) for v in r) + '\n' for r in rows))
    return path


def test_mot_cleaning_sees_every_gt_class(tmp_path):
    """``preprocessResult.m`` assigns detections to ALL gt.txt rows of a frame (Hungarian on
    1 - IoU, pairs with IoU < 0.5 forbidden) and removes only those assigned to an ambiguous
    row (person on vehicle 2, static person 7, distractor 8, reflection 12). A car (3) takes
    part: the detection it takes stays and is a false positive; when a car and a distractor
    compete for one detection (here the car overlaps it more), the car can win it."""
    gt = _gt_txt(tmp_path / 'SEQ' / 'gt' / 'gt.txt', [
        (1, 1, 10, 10, 40, 100, 1, 1, 1.0),      # pedestrian
        (1, 2, 200, 10, 40, 100, 1, 3, 1.0),     # car
        (1, 3, 400, 10, 40, 100, 1, 8, 1.0),     # distractor
        (1, 4, 600, 10, 40, 100, 1, 3, 1.0),     # car ...
        (1, 5, 604, 10, 40, 100, 1, 8, 1.0)])    # ... and distractor on the same spot
    recs = parse_mot(gt, keep_all_classes=True)
    assert [i['mot_class'] for i in recs[0]['instances']] == [1, 3, 8, 3, 8]
    assert [i['mot_class'] for i in parse_mot(gt)[0]['instances']] == [1, 8, 8]  # training
    dets = {'SEQ/000001': (np.array([[10, 10, 40, 100], [200, 10, 40, 100],
                                     [400, 10, 40, 100], [601, 10, 40, 100]], float),
                           np.array([0.9, 0.8, 0.7, 0.6]))}
    res = eval_mot17det_ap(recs, dets)
    # kept: the hit, the detection on the car (FP) and the one the car wins (FP); removed:
    # the detection on the lone distractor
    assert res['tp'] == 1 and res['fp'] == 2 and res['num_gt'] == 1
    # without the vehicle rows the distractor takes the contested detection: 1 FP only
    assert eval_mot17det_ap(parse_mot(gt), dets)['fp'] == 1


# corners found by search: IoU 0.5000000000000001 with the corners as written, and
# 0.49999999999999994 with x2 rebuilt as x1 + (x2 - x1)
KITTI_GT = (38.13, 210.61, 121.17, 320.24)
KITTI_DET = (65.81, 210.61, 148.85, 320.24)


def _label(folder, name, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f'{name}.txt').write_text(''.join(r + '\n' for r in rows))


def test_kitti_keeps_the_corners_as_written(tmp_path):
    """``evaluate_object.cpp`` reads ``x1 y1 x2 y2`` and computes the IoU from them
    (``min(x2) - max(x1)`` etc.), matching when ``IoU > 0.5``. Rebuilding x2 through an
    ``x, y, w, h`` record changes its last bit: here the IoU drops from 0.5 + 1 ulp (a match)
    to 0.5 - 1 ulp (no match), and easy AP from 100 to 0."""
    from mmped.datasets.parsers import load_kitti_results, parse_kitti
    from mmped.evaluation.functional import eval_kitti_pedestrian_ap
    x1, y1, x2, y2 = KITTI_GT
    assert x1 + (x2 - x1) != x2  # the case is what it claims
    _label(tmp_path / 'label_2', '000000',
           [f'Pedestrian 0.00 0 -10 {x1} {y1} {x2} {y2} 1.7 0.6 0.8 1 1 10 0'])
    gt = parse_kitti(tmp_path / 'label_2')
    assert gt[0]['instances'][0]['bbox'] == list(KITTI_GT)
    d = KITTI_DET
    _label(tmp_path / 'res', '000000',
           [f'Pedestrian -1 -1 -10 {d[0]} {d[1]} {d[2]} {d[3]} -1 -1 -1 -1000 -1000 -1000 '
            '-10 0.90'])
    dets = load_kitti_results(tmp_path / 'res', gt)
    assert dets['000000'][0].tolist() == [list(KITTI_DET)]
    ap = eval_kitti_pedestrian_ap(gt, dets, ['easy'])
    # one GT, one hit: the devkit samples one threshold, at recall position 0 of 41, so
    # AP|R11 = precision 1 / 11 (position 0 of every 4th) and AP|R40 = 0 (positions 1..40)
    assert ap['easy_R11'] == pytest.approx(100.0 / 11) and ap['easy_R40'] == 0.0


def test_kitti_result_writer_and_offline_reader(tmp_path):
    """KITTI submissions are ``label_2`` rows with a 16th score column, written with 2
    decimals; a result folder is evaluated offline by ``eval_mr.py --protocol kitti``. The
    writer never writes into a non-empty folder."""
    from mmped.datasets.parsers import write_kitti_results

    from .test_cli_misuse import _Frozen
    from .test_parsers_tools import run_tool
    _label(tmp_path / 'label_2', '000000',
           ['Pedestrian 0.00 0 -10 100.00 100.00 140.00 200.00 1.7 0.6 0.8 1 1 10 0'])
    _label(tmp_path / 'label_2', '000001', ['DontCare -1 -1 -10 1 1 5 5 -1 -1 -1 -1000 -1000 '
                                            '-1000 -10'])
    dets = {'000000': (np.array([[100.004, 100.0, 140.0, 200.0], [300, 10, 340, 110]]),
                       np.array([0.987, 0.5]))}
    out = tmp_path / 'res'
    write_kitti_results(out, dets, ['000000', '000001'])
    assert (out / '000000.txt').read_text().splitlines() == [
        'Pedestrian -1 -1 -10 100.00 100.00 140.00 200.00 -1 -1 -1 -1000 -1000 -1000 -10 0.99',
        'Pedestrian -1 -1 -10 300.00 10.00 340.00 110.00 -1 -1 -1 -1000 -1000 -1000 -10 0.50']
    assert (out / '000001.txt').read_text() == ''
    frozen = _Frozen(out / '000000.txt')
    with pytest.raises(ValueError, match='not an empty folder'):
        write_kitti_results(out, dets, ['000000'])
    assert frozen.unchanged()
    code, msg = run_tool('tools/analysis/eval_mr.py', tmp_path / 'label_2', out, '--protocol',
                         'kitti', '--out', tmp_path / 'ap.json')
    assert code == 0, msg
    import json
    got = json.loads((tmp_path / 'ap.json').read_text())
    # one TP (0.99), one FP (0.50): one sampled threshold (see the test above)
    assert got['easy_R11'] == pytest.approx(100.0 / 11) and got['moderate_R40'] == 0.0


@pytest.mark.parametrize('seed', range(5))
def test_mot_cleaning_equals_py_motmetrics_port(tmp_path, seed, monkeypatch):
    """Against py-motmetrics' port of the devkit's ``preprocessResult.m`` (runs only when
    ``motmetrics`` imports; never vendored): on generated frames with pedestrians, ambiguous
    people and vehicles, the detections removed by mmped's cleaning are the port's. (The port
    flags ``visibility < 0`` where mmped also removes pedestrians below ``min_vis`` and
    ``flag = 0`` rows: the generated pedestrians are visible and flagged. The port's
    assignment maximises the number of pairs and breaks ties its own way, where the devkit's
    ``Hungarian.m`` does neither: the continuous random boxes here have no ties and no
    padding-decided cases; ``test_mot_vs_octave.py`` compares with the devkit itself.)"""
    pytest.importorskip('pandas')
    preprocess = pytest.importorskip('motmetrics.preprocess')
    mmio = pytest.importorskip('motmetrics.io')
    if not hasattr(np, 'asfarray'):  # motmetrics 1.4 predates numpy 2
        monkeypatch.setattr(np, 'asfarray', lambda a, dtype=np.float64: np.asarray(a, dtype),
                            raising=False)
    rng = np.random.default_rng(seed)
    seq = tmp_path / 'SEQ'
    rows, dets = [], []
    frames = 6
    for f in range(1, frames + 1):
        n = 8
        xy = rng.uniform(0, 300, (n, 2))
        wh = rng.uniform(20, 60, (n, 2))
        cls = rng.choice([1, 1, 2, 3, 7, 8, 12, 4, 9], size=n)
        for k in range(n):
            rows.append((f, k + 1, *np.round(xy[k], 2), *np.round(wh[k], 2), 1, int(cls[k]),
                         1.0))
        for k in range(10):  # detections near random GT rows and strays
            g = rng.integers(n)
            box = np.r_[xy[g] + rng.normal(0, 6, 2), wh[g] * rng.uniform(0.8, 1.2, 2)] \
                if k < 8 else np.r_[rng.uniform(0, 300, 2), rng.uniform(20, 60, 2)]
            dets.append((f, k + 1, *np.round(box, 2), round(float(rng.random()), 4), -1, -1))
    gt_file = _gt_txt(seq / 'gt' / 'gt.txt', rows)
    (seq / 'seqinfo.ini').write_text(f'[Sequence]\nname=SEQ\nseqLength={frames}\n')
    res_file = tmp_path / 'res.txt'
    res_file.write_text(''.join(','.join(str(v) for v in r) + '\n' for r in dets))
    kept_ref = preprocess.preprocessResult(mmio.loadtxt(str(res_file), fmt='mot16'),
                                           mmio.loadtxt(str(gt_file), fmt='mot16'),
                                           str(seq / 'seqinfo.ini'))
    kept_ref = set(kept_ref.index.tolist())
    from mmped.evaluation.functional.mot_ap import MOT_PEOPLE, _cleaning_removed, _iou_xywh
    recs = {r['img_id']: r for r in parse_mot(gt_file, keep_all_classes=True)}
    det_arr = np.array(dets, dtype=np.float64)
    kept_ours = set()
    for f in range(1, frames + 1):
        insts = recs[f'SEQ/{f:06d}']['instances']
        g = np.array([[i['bbox'][0], i['bbox'][1], i['bbox'][2] - i['bbox'][0],
                       i['bbox'][3] - i['bbox'][1]] for i in insts])
        pos = np.array([not i['ignore_flag'] for i in insts])
        other = np.array([i['mot_class'] not in MOT_PEOPLE for i in insts])
        sel = det_arr[:, 0] == f
        removed = _cleaning_removed(_iou_xywh(det_arr[sel, 2:6], g), pos,
                                    removing=~pos & ~other)
        kept_ours |= {(f, int(i)) for i in det_arr[sel, 1][~removed]}
    assert kept_ours == kept_ref
    assert len(kept_ref) < len(dets)  # the case removes something
