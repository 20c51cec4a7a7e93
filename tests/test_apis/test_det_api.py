# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian detection API and demo on real CityPersons / Caltech frames."""
import json

import cv2
import numpy as np
import pytest

from mmped.testing import REPO_ROOT

from .conftest import CALTECH_FRAME, CITY_FRAME, GDFL_TINY, demo_module, link_images, load_module


@pytest.mark.realdata
def test_folder_writes_drawings_and_results_eval_mr_reads(det_inferencer, real, tmp_path):
    frames = link_images(tmp_path / 'frames', [real / CITY_FRAME, real / CALTECH_FRAME])
    out = det_inferencer.run(frames, tmp_path / 'out', pred_score_thr=0.9, show_progress=False)
    assert det_inferencer.model.dataset_meta['classes'] == ('pedestrian', )
    # one drawing per frame, at the frame's size
    assert sorted(p.split('/')[-1] for p in out['vis']) == sorted(
        [CITY_FRAME.split('/')[-1], CALTECH_FRAME.split('/')[-1]])
    assert cv2.imread(out['vis'][1]).shape[:2] == (480, 640)  # frankfurt_* sorts first
    results = json.loads((tmp_path / 'out' / 'results.bbox.json').read_text())
    n = det_inferencer.cfg.model.test_cfg.max_per_img
    assert len(results) == len(out['results']) > 0
    counts = np.bincount([r['image_id'] for r in results], minlength=3)
    assert counts[0] == 0 and 0 < counts[1] <= n and 0 < counts[2] <= n
    images = json.loads((tmp_path / 'out' / 'images.json').read_text())
    assert [i['id'] for i in images] == [1, 2]
    # boxes are x, y, w, h inside the frame
    caltech = np.array([r['bbox'] for r in results if r['image_id'] == 2])
    assert (caltech[:, 2:] >= 0).all() and (caltech[:, 0] + caltech[:, 2] <= 640.01).all()


@pytest.mark.realdata
def test_ann_file_ids_and_eval_mr(det_inferencer, real, tmp_path):
    gt = real / 'citypersons' / 'val_gt.json'
    out = det_inferencer.run(real / CITY_FRAME, tmp_path / 'out', ann_file=str(gt),
                             save_vis=False, show_progress=False)
    names = {i['im_name']: i['id'] for i in json.loads(gt.read_text())['images']}
    assert {r['image_id'] for r in out['results']} == {names[CITY_FRAME.split('/')[-1]]}
    assert out['vis'] == []
    eval_mr = load_module(REPO_ROOT / 'tools' / 'analysis' / 'eval_mr.py', 'eval_mr')
    mr = eval_mr.main([str(gt), out['results_file'], '--protocol', 'citypersons'])
    # random boxes on 1 of the 500 val frames: (nearly) every pedestrian is missed
    assert mr['results.bbox.json']['Reasonable'] > 90.0


@pytest.mark.realdata
def test_caltech_png_matches_jpg_gt_name(det_inferencer, real, tmp_path):
    out = det_inferencer.run(real / CALTECH_FRAME, tmp_path / 'o', save_vis=False,
                             ann_file=str(real / 'caltech' / 'pedestron' / 'test.json'),
                             show_progress=False)
    gt = json.loads((real / 'caltech' / 'pedestron' / 'test.json').read_text())
    want = [i['id'] for i in gt['images'] if i['file_name'] == 'set06_V002_I00089.jpg']
    assert {r['image_id'] for r in out['results']} == set(want) and len(want) == 1


@pytest.mark.realdata
def test_video_to_mp4(det_inferencer, real, tmp_path):
    frame = cv2.resize(cv2.imread(str(real / CALTECH_FRAME)), (160, 120))
    video = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'), 5, (160, 120))
    for k in range(3):
        writer.write(np.roll(frame, 8 * k, axis=1))
    writer.release()
    out = det_inferencer.run(video, tmp_path / 'out', pred_score_thr=0.9, show_progress=False)
    assert out['vis'] == [str((tmp_path / 'out' / 'clip.mp4').resolve())]
    cap = cv2.VideoCapture(out['vis'][0])
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 3
    assert sorted({r['image_id'] for r in out['results']}) == [1, 2, 3]
    assert [i['id'] for i in out['images']] == [1, 2, 3]


def test_bad_inputs_name_the_path(det_inferencer, tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match=str(tmp_path / 'empty')):
        det_inferencer.run(tmp_path / 'empty', tmp_path / 'out')
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video at all' * 10)
    with pytest.raises(ValueError, match='cannot read video .*broken.mp4'):
        det_inferencer.run(bad, tmp_path / 'out')
    with pytest.raises(FileNotFoundError, match='missing.png'):
        det_inferencer.run(tmp_path / 'missing.png', tmp_path / 'out')


@pytest.mark.realdata
def test_demo_cli(real, tmp_path):
    demo = demo_module('det_demo')
    out = demo.main([str(real / CALTECH_FRAME), str(GDFL_TINY), '--out-dir',
                     str(tmp_path / 'o'), '--score-thr', '0.5'])
    assert (tmp_path / 'o' / 'vis' / 'set06_V002_I00089.png').is_file()
    assert len(json.loads((tmp_path / 'o' / 'results.bbox.json').read_text())) == \
        len(out['results'])
