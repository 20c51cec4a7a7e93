# Copyright (c) mmped contributors. All rights reserved.
"""RGB-T inference (DCRL teacher, DCRD student) on the real KAIST pair."""
import json

import cv2
import numpy as np
import pytest
import torch

from .conftest import (
    DCRD_STUDENT,
    DCRD_STUDENT_TINY,
    DCRL_TEACHER,
    DCRL_TEACHER_TINY,
    KAIST_DIR,
    demo_module,
)

NAME = 'set08_V000_I02159'


@pytest.fixture(scope='module')
def teacher():
    from mmped.apis import init_rgbt_detector

    torch.manual_seed(0)
    return init_rgbt_detector(str(DCRL_TEACHER), cfg_options=DCRL_TEACHER_TINY)


@pytest.fixture
def pair(real):
    d = real / KAIST_DIR
    return d / f'{NAME}_visible.png', d / f'{NAME}_lwir.png'


@pytest.mark.realdata
def test_paths_and_arrays_give_the_same_boxes(teacher, pair):
    from mmped.apis import inference_rgbt, is_paired_model

    assert is_paired_model(teacher)
    by_path = inference_rgbt(teacher, str(pair[0]), str(pair[1]))
    # the thermal array as stored (3 channels) and as a 1-channel gray image
    vis, lwir = cv2.imread(str(pair[0])), cv2.imread(str(pair[1]))
    by_array = inference_rgbt(teacher, vis, lwir)
    assert by_path.ori_shape == (512, 640) and by_array.ori_shape == (512, 640)
    assert len(by_path.pred_instances) == len(by_array.pred_instances) > 0
    torch.testing.assert_close(by_array.pred_instances.bboxes, by_path.pred_instances.bboxes)
    gray = inference_rgbt(teacher, [vis], [lwir[..., 0]])[0]
    torch.testing.assert_close(gray.pred_instances.scores, by_path.pred_instances.scores)
    assert by_path.lwir_path == str(pair[1])


@pytest.mark.realdata
def test_mmdet_inference_detector_cannot_run_the_teacher(teacher, pair):
    """The failures the RGB-T API replaces (issue 15)."""
    from mmdet.apis import inference_detector

    with pytest.raises((KeyError, TypeError, ValueError)):
        inference_detector(teacher, str(pair[0]))


@pytest.mark.realdata
def test_folders_matched_by_name_and_drawn_side_by_side(teacher, pair, tmp_path):
    from mmped.apis import inference_rgbt_folders

    for side, src in (('visible', pair[0]), ('lwir', pair[1])):
        (tmp_path / side).mkdir()
        (tmp_path / side / 'I02159.png').symlink_to(src)  # KAIST layout: same names
    out = inference_rgbt_folders(teacher, tmp_path / 'visible', tmp_path / 'lwir',
                                 tmp_path / 'out', show_progress=False)
    drawn = cv2.imread(out['vis'][0])
    assert drawn.shape == (512, 1280, 3)  # visible | thermal
    results = json.loads((tmp_path / 'out' / 'results.bbox.json').read_text())
    assert len(results) == len(out['results']) > 0 and {r['image_id'] for r in results} == {1}
    assert out['images'][0]['lwir_name'].endswith('lwir/I02159.png')


@pytest.mark.realdata
def test_missing_partner_and_empty_folder_errors(teacher, pair, tmp_path):
    from mmped.apis import inference_rgbt, inference_rgbt_folders

    with pytest.raises(FileNotFoundError, match='missing partner image.*nope_lwir.png'):
        inference_rgbt(teacher, str(pair[0]), str(pair[0].parent / 'nope_lwir.png'))
    with pytest.raises(ValueError, match='thermal partner'):
        inference_rgbt(teacher, str(pair[0]))
    (tmp_path / 'visible').mkdir()
    (tmp_path / 'lwir').mkdir()
    (tmp_path / 'visible' / 'I00001.png').symlink_to(pair[0])
    (tmp_path / 'visible' / 'I00002.png').symlink_to(pair[0])
    (tmp_path / 'lwir' / 'I00001.png').symlink_to(pair[1])
    with pytest.raises(FileNotFoundError,
                       match=r'I00002.png has no image named I00002\* in .*lwir'):
        inference_rgbt_folders(teacher, tmp_path / 'visible', tmp_path / 'lwir', tmp_path / 'o')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match=f'no image .* in {tmp_path / "empty"}'):
        inference_rgbt_folders(teacher, tmp_path / 'empty', tmp_path / 'lwir', tmp_path / 'o')


@pytest.mark.realdata
def test_student_runs_on_visible_only(pair, tmp_path):
    from mmped.apis import inference_rgbt, init_rgbt_detector, is_paired_model

    student = init_rgbt_detector(str(DCRD_STUDENT), cfg_options=DCRD_STUDENT_TINY)
    assert not is_paired_model(student)
    res = inference_rgbt(student, str(pair[0]))
    arr = inference_rgbt(student, cv2.imread(str(pair[0])))
    assert res.ori_shape == (512, 640)
    np.testing.assert_allclose(res.pred_instances.scores.numpy(),
                               arr.pred_instances.scores.numpy(), rtol=1e-5)


@pytest.mark.realdata
def test_demo_cli_pair(pair, tmp_path):
    demo = demo_module('rgbt_demo')
    opts = [f'{k}={v}' for k, v in DCRL_TEACHER_TINY.items()]
    out = demo.main([str(DCRL_TEACHER), '--visible', str(pair[0]), '--lwir', str(pair[1]),
                     '--out-dir', str(tmp_path / 'o'), '--cfg-options', *opts])
    assert (tmp_path / 'o' / 'vis' / f'{NAME}_visible.jpg').is_file()
    assert out['images'][0]['file_name'] == str(pair[0])
