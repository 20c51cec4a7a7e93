# Copyright (c) mmped contributors. All rights reserved.
"""Misuse of the offline evaluation CLI and the CityPersons converters.

Every case checks that the inputs are unchanged byte for byte and that the message names the
problem (file, record, field).
"""
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mmped.testing import REPO_ROOT

from .test_parsers_tools import run_tool

EVAL_MR = 'tools/analysis/eval_mr.py'


def _gt(path: Path, dup_id: bool = False) -> Path:
    """Two CityPersons images with one reasonable pedestrian (height 100) each."""
    images = [dict(id=1, im_name='a_000000_000001_leftImg8bit.png', width=2048, height=1024),
              dict(id=1 if dup_id else 2, im_name='a_000000_000002_leftImg8bit.png',
                   width=2048, height=1024)]
    anns = [dict(id=k + 1, image_id=k + 1, category_id=1, bbox=[100 + 200 * k, 100, 40, 100],
                 vis_bbox=[100 + 200 * k, 100, 40, 100], height=100, vis_ratio=1.0, ignore=0)
            for k in range(1 if dup_id else 2)]
    path.write_text(json.dumps(dict(images=images, annotations=anns,
                                    categories=[dict(id=1, name='person')])))
    return path


def _dets(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([dict(image_id=i, category_id=c, bbox=b, score=s)
                                for i, c, b, s in rows]))
    return path


HIT_1 = (1, 1, [100, 100, 40, 100], 0.9)
HIT_2 = (2, 1, [300, 100, 40, 100], 0.8)


class _Frozen:
    """Snapshot of files; ``unchanged()`` compares their bytes (and link targets)."""

    def __init__(self, *paths):
        self.paths = [Path(p) for p in paths]
        self.data = [p.read_bytes() for p in self.paths]

    def unchanged(self):
        return all(p.read_bytes() == d for p, d in zip(self.paths, self.data))


@pytest.fixture
def case(tmp_path):
    gt = _gt(tmp_path / 'gt.json')
    dets = _dets(tmp_path / 'dets.json', [HIT_1, HIT_2])
    return tmp_path, gt, dets


def _strict_json(path: Path):
    def no_constant(name):
        raise AssertionError(f'{path} holds {name}')
    return json.loads(path.read_text(), parse_constant=no_constant)


@pytest.mark.parametrize('target', ['gt', 'dets', 'dets_symlink', 'gt_hardlink'])
@pytest.mark.parametrize('flag', ['--out', '--plot'])
def test_output_equal_to_or_linked_to_an_input_is_refused(case, target, flag):
    tmp, gt, dets = case
    frozen = _Frozen(gt, dets)
    out = {'gt': gt, 'dets': dets}.get(target)
    if target == 'dets_symlink':
        out = tmp / 'link.json'
        out.symlink_to(dets)
    elif target == 'gt_hardlink':
        out = tmp / 'hard.json'
        os.link(gt, out)
    code, msg = run_tool(EVAL_MR, gt, dets, '--protocol', 'citypersons', flag, out)
    assert code != 0 and f'{flag} {out}: refusing to overwrite the input' in msg
    assert frozen.unchanged()


def test_output_folder_checked_before_evaluating_and_outputs_distinct(case):
    tmp, gt, dets = case
    frozen = _Frozen(gt, dets)
    code, msg = run_tool(EVAL_MR, gt, dets, '--protocol', 'citypersons', '--out',
                         tmp / 'missing' / 'mr.json')
    assert code != 0 and 'does not exist' in msg and '==' not in msg  # nothing evaluated
    code, msg = run_tool(EVAL_MR, gt, dets, '--protocol', 'citypersons', '--out', tmp)
    assert code != 0 and 'is a folder' in msg
    code, msg = run_tool(EVAL_MR, gt, dets, '--protocol', 'citypersons', '--out',
                         tmp / 'x.png', '--plot', tmp / 'x.png')
    assert code != 0 and 'name the same file' in msg
    results = tmp / 'res'
    results.mkdir()
    inner = _dets(results / 'r.json', [HIT_1])
    code, msg = run_tool(EVAL_MR, gt, results / 'r.json', results, '--protocol', 'citypersons',
                         '--out', results / 'mr.json')
    assert code != 0 and 'inside the input folder' in msg
    assert frozen.unchanged() and _Frozen(inner).unchanged()
    assert not (results / 'mr.json').exists()


def test_atomic_output_with_normal_permissions(case):
    tmp, gt, dets = case
    out = tmp / 'mr.json'
    code, msg = run_tool(EVAL_MR, gt, dets, '--protocol', 'citypersons', '--out', out)
    assert code == 0, msg
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert _strict_json(out)['Reasonable'] == 0.0
    assert not [p for p in tmp.iterdir() if p.name.startswith('.')]  # no temporary left


def test_same_basename_results_are_labelled_uniquely(case):
    tmp, gt, _ = case
    a = _dets(tmp / 'a' / 'result.json', [HIT_1, HIT_2])
    b = _dets(tmp / 'b' / 'result.json', [HIT_1])
    out = tmp / 'mr.json'
    code, msg = run_tool(EVAL_MR, gt, a, b, '--protocol', 'citypersons', '--out', out)
    assert code == 0, msg
    got = _strict_json(out)
    assert sorted(got) == ['a/result.json', 'b/result.json']
    assert got['a/result.json']['Reasonable'] == 0.0
    assert got['b/result.json']['Reasonable'] == pytest.approx(50.0)
    code, msg = run_tool(EVAL_MR, gt, a, b, '--protocol', 'citypersons', '--out', out,
                         '--names', 'full', 'half')
    assert code == 0, msg
    assert sorted(_strict_json(out)) == ['full', 'half']
    code, msg = run_tool(EVAL_MR, gt, a, b, '--protocol', 'citypersons', '--names', 'one')
    assert code != 0 and '--names: 1 names for 2 result files' in msg
    code, msg = run_tool(EVAL_MR, gt, a, a, '--protocol', 'citypersons')
    assert code != 0 and 'same label' in msg


def test_image_ids_matching_no_ground_truth(case):
    tmp, gt, _ = case
    none = _dets(tmp / 'none.json', [(7, 1, [1, 1, 4, 10], 0.5), (8, 1, [1, 1, 4, 10], 0.5)])
    code, msg = run_tool(EVAL_MR, gt, none, '--protocol', 'citypersons')
    assert code != 0 and 'none of the 2 image ids' in msg and str(none) in msg
    part = _dets(tmp / 'part.json', [HIT_1, HIT_2, (9, 1, [1, 1, 4, 10], 0.5)])
    code, msg = run_tool(EVAL_MR, gt, part, '--protocol', 'citypersons')
    assert code == 0 and 'warning' in msg and '1 of 3 image ids (1 detections)' in msg


def test_empty_result_is_100_percent_with_a_warning_never_nan(case):
    tmp, gt, _ = case
    empty = tmp / 'empty.json'
    empty.write_text('[]')
    out = tmp / 'mr.json'
    code, msg = run_tool(EVAL_MR, gt, empty, '--protocol', 'citypersons', '--out', out)
    assert code == 0, msg
    assert 'no detection' in msg
    got = _strict_json(out)  # no NaN: setups without ground truth are null
    assert got['Reasonable'] == 100.0 and got['All'] == 100.0
    assert got['Heavy'] is None and 'Heavy has no ground truth' in msg


@pytest.mark.parametrize('content, record', [
    ('', 'record file'),
    ('[{"image_id": 1, "bbox": [1, 2', 'record file'),
    ('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, NaN], "score": 0.5}]',
     'record detection 0'),
    ('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5},'
     ' {"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4], "score": 0.5}]',
     "record detection 1: field 'bbox': negative"),
    ('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": "0.5"}]',
     "record detection 0: field 'score'"),
    ('[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": true}]',
     "record detection 0: field 'score'"),
    ('[{"image_id": 1, "category_id": 1, "bbox": [1, "2", 3, 4], "score": 0.5}]',
     "record detection 0: field 'bbox'"),
])
def test_bad_result_files_name_file_and_record(case, content, record):
    tmp, gt, _ = case
    bad = tmp / 'bad.json'
    bad.write_text(content)
    frozen = _Frozen(gt, bad)
    code, msg = run_tool(EVAL_MR, gt, bad, '--protocol', 'citypersons')
    assert code != 0 and f'{bad}: {record}' in msg
    assert frozen.unchanged()


def test_bad_ground_truth_files_name_the_file(tmp_path):
    dets = _dets(tmp_path / 'dets.json', [HIT_1])
    dup = _gt(tmp_path / 'dup.json', dup_id=True)
    code, msg = run_tool(EVAL_MR, dup, dets, '--protocol', 'citypersons')
    assert code != 0 and f"{dup}: record image 1: field 'id': duplicate image id 1" in msg
    mat = tmp_path / 'gt-Reasonable.mat'
    mat.write_bytes(b'MATLAB 5.0 MAT-file, truncated')
    code, msg = run_tool(EVAL_MR, mat, tmp_path, '--protocol', 'caltech')
    assert code != 0 and f'{mat}: record file' in msg and 'not a readable MATLAB file' in msg
    trunc = tmp_path / 'trunc.json'
    trunc.write_text('{"images": [')
    code, msg = run_tool(EVAL_MR, trunc, dets, '--protocol', 'citypersons')
    assert code != 0 and f'{trunc}: record file' in msg and 'not valid JSON' in msg


def test_metric_checks_ann_file_when_built(tmp_path):
    from mmped.evaluation.metrics.miss_rate_metric import MissRateMetric
    with pytest.raises(FileNotFoundError, match='ann_file .*nope.json does not exist'):
        MissRateMetric(ann_file=str(tmp_path / 'nope.json'))
    trunc = tmp_path / 'trunc.json'
    trunc.write_text('{"images": [')
    with pytest.raises(ValueError, match='trunc.json: record file'):
        MissRateMetric(ann_file=str(trunc))


def test_citypersons_category_ids(case):
    """The official ``eval_MR_multisetup.py`` evaluates ``catIds = [1]`` only: detections of
    other categories are not counted (a file of category-2 results is 100 % MR, not 0 %);
    ``--category-ids`` chooses others."""
    tmp, gt, _ = case
    other = _dets(tmp / 'other.json', [(1, 2, [100, 100, 40, 100], 0.9),
                                       (2, 2, [300, 100, 40, 100], 0.8)])
    out = tmp / 'mr.json'
    code, msg = run_tool(EVAL_MR, gt, other, '--protocol', 'citypersons', '--out', out)
    assert code == 0, msg
    assert _strict_json(out)['Reasonable'] == 100.0
    code, msg = run_tool(EVAL_MR, gt, other, '--protocol', 'citypersons', '--out', out,
                         '--category-ids', '2')
    assert code == 0, msg
    assert _strict_json(out)['Reasonable'] == 0.0


def _anno_mat(path: Path, bbs) -> Path:
    from scipy.io import savemat
    cells = np.empty((1, 1), dtype=object)
    rec = np.zeros((1, 1), dtype=[('cityname', 'O'), ('im_name', 'O'), ('bbs', 'O')])
    rec[0, 0]['cityname'] = np.array(['a'])
    rec[0, 0]['im_name'] = np.array(['a_000000_000001_leftImg8bit.png'])
    rec[0, 0]['bbs'] = np.asarray(bbs, dtype=np.float64)
    cells[0, 0] = rec
    savemat(str(path), {'anno_val_aligned': cells})
    return path


CONVERT = 'tools/dataset_converters/citypersons_to_coco.py'


@pytest.mark.parametrize('bad', [np.nan, -5.0])
def test_citypersons_to_coco_rejects_bad_boxes(tmp_path, bad):
    src = _anno_mat(tmp_path / 'anno_val.mat',
                    [[1, 10, 10, 20, 50, 1, 10, 10, 20, 50], [1, 10, 10, bad, 50, 2, 0, 0, 0, 0]])
    frozen = _Frozen(src)
    code, msg = run_tool(CONVERT, src, tmp_path / 'val.json')
    assert code != 0 and f"{src}: record image 0 row 1: field 'bbs'" in msg
    assert not (tmp_path / 'val.json').exists() and frozen.unchanged()


def test_citypersons_to_coco_never_overwrites_a_foreign_file(tmp_path):
    src = _anno_mat(tmp_path / 'anno_val.mat', [[1, 10, 10, 20, 50, 1, 10, 10, 20, 50]])
    out = tmp_path / 'val_gt.json'
    out.write_text('{"official": true}')
    frozen = _Frozen(src, out)
    for extra in ([], ['--overwrite']):
        code, msg = run_tool(CONVERT, src, out, *extra)
        assert code != 0 and f'{out} exists; refusing to overwrite it' in msg
    assert frozen.unchanged()
    # its own output may be replaced with --overwrite
    mine = tmp_path / 'mine.json'
    assert run_tool(CONVERT, src, mine)[0] == 0
    code, msg = run_tool(CONVERT, src, mine)
    assert code != 0 and 'refusing to overwrite' in msg
    assert run_tool(CONVERT, src, mine, '--overwrite')[0] == 0


SYNTH = 'tools/misc/make_synthetic_citypersons.py'


@pytest.mark.realdata
def test_make_synthetic_citypersons_refuses_a_real_dataset_root(tmp_path):
    root = tmp_path / 'citypersons'
    (root / 'annotations').mkdir(parents=True)
    real = root / 'annotations' / 'val_gt.json'
    real.write_text('{"real": 1}')
    frozen = _Frozen(real)
    for extra in ([], ['--overwrite']):
        code, msg = run_tool(SYNTH, root, '--num-train', 1, '--num-val', 1, *extra)
        assert 'error' in msg and 'was not made by this generator' in msg
    assert frozen.unchanged() and sorted(p.name for p in root.rglob('*')) == [
        'annotations', 'val_gt.json']


def test_make_synthetic_citypersons_overwrites_only_its_own_files(tmp_path):
    root = tmp_path / 'syn'
    args = ['--num-train', 1, '--num-val', 1]
    assert 'error' not in run_tool(SYNTH, root, *args)[1]  # main() returns its exit code
    code, msg = run_tool(SYNTH, root, *args)
    assert 'pass --overwrite' in msg
    assert 'error' not in run_tool(SYNTH, root, *args, '--overwrite')[1]
    # a file the generator did not write, at a path it would write: refused
    manifest = root / 'synthetic_citypersons.json'
    info = json.loads(manifest.read_text())
    info['files'].remove('annotations/val_gt.json')
    manifest.write_text(json.dumps(info))
    val = root / 'annotations' / 'val_gt.json'
    frozen = _Frozen(val)
    code, msg = run_tool(SYNTH, root, *args, '--overwrite')
    assert f'{val} (and 0 more) was not written by this generator' in msg
    assert frozen.unchanged()
    assert (REPO_ROOT / SYNTH).exists()
