# Copyright (c) mmped contributors. All rights reserved.
"""mmped's person-search evaluation against SeqNet's own ``eval_func.py`` on generated cases.

Runs only when the reference is available: ``MMPED_SEQNET_ROOT`` names a checkout of
https://github.com/serend1p1ty/SeqNet (never vendored here) and scikit-learn, scipy, tabulate
and torch import. The reference's rules (mutual-best detection matching, ``labeled_only``,
first-entry scoring of repeated TestG images with every entry in the recall denominator, the
relaxed IoU of small targets, recall-scaled AP) are written out in
``test_metric_reference.py``; here the numbers of both implementations must agree.
"""
import importlib
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mmped.evaluation.functional.person_search import eval_detection, eval_person_search

ROOT = os.environ.get('MMPED_SEQNET_ROOT')
pytestmark = pytest.mark.skipif(
    not ROOT or not (Path(ROOT) / 'eval_func.py').is_file(),
    reason='SeqNet reference checkout absent (set MMPED_SEQNET_ROOT)')
UNLABELLED = 5555  # SeqNet's id of unlabelled people


@pytest.fixture(scope='module')
def seqnet():
    pytest.importorskip('sklearn')
    pytest.importorskip('tabulate')
    saved = {k: v for k, v in sys.modules.items() if k == 'utils' or k.startswith('utils.')}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, ROOT)
    try:
        module = importlib.import_module('eval_func')
    finally:
        sys.path.remove(ROOT)
    yield module
    for k in [k for k in sys.modules if k == 'utils' or k.startswith('utils.')
              or k == 'eval_func']:
        del sys.modules[k]
    sys.modules.update(saved)


def _random_case(rng, num_images=8, dim=8):
    """Images with 2-4 people (ids unique per image, some unlabelled), jittered and stray
    detections with float32 scores and unit float32 features."""
    images = []
    for i in range(num_images):
        n = int(rng.integers(2, 5))
        xy = rng.integers(0, 400, size=(n, 2))
        wh = rng.integers(12, 120, size=(n, 2))
        gts = np.concatenate([xy, xy + wh], axis=1).astype(np.float64)
        pids = rng.choice(np.arange(1, 7), size=n, replace=False)
        pids[rng.random(n) < 0.3] = -1
        dets = [g + rng.normal(0, 0.12, 4) * np.r_[s, s] for g, s in zip(gts, wh)
                if rng.random() < 0.85]
        dets += [np.r_[p, p + rng.integers(12, 120, 2)] for p in rng.integers(0, 400, (5, 2))]
        dets = np.array(dets, dtype=np.float32)
        dets[:, 2:] = np.maximum(dets[:, 2:], dets[:, :2] + 1)
        scores = rng.random(len(dets)).astype(np.float32)
        scores[rng.random(len(dets)) < 0.75] = rng.uniform(0.5, 1.0, 1).astype(np.float32)
        feats = rng.normal(size=(len(dets), dim)).astype(np.float32)
        feats /= np.linalg.norm(feats, axis=1, keepdims=True)
        images.append(dict(img_id=f's{i}.jpg', bboxes=dets, scores=scores, feats=feats,
                           gt_bboxes=gts, gt_person_ids=pids))
    return images


class _Dataset(SimpleNamespace):
    """The attributes of SeqNet's dataset objects that its evaluation reads."""

    def __len__(self):
        return len(self.annotations)


def _cam(name):
    return int(name[1:-4]) % 3


def _ref_dets(images):
    return [np.concatenate([g['bboxes'], g['scores'][:, None]], axis=1) for g in images]


def _ref_annos(images):
    return [dict(img_name=g['img_id'], boxes=g['gt_bboxes'].astype(np.int32),
                 pids=np.where(g['gt_person_ids'] < 0, UNLABELLED, g['gt_person_ids']),
                 cam_id=_cam(g['img_id'])) for g in images]


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('labelled_only', [False, True])
@pytest.mark.parametrize('thresh', [0.01, 0.5])
def test_detection_equals_seqnet(seqnet, seed, labelled_only, thresh, capsys):
    images = _random_case(np.random.default_rng(seed))
    dataset = _Dataset(annotations=_ref_annos(images))
    # the reference tests ``det != []``: pass each image's detections as a list of rows
    dets = [d.tolist() for d in _ref_dets(images)]
    for g in images:
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    ref_recall, ref_ap = seqnet.eval_detection(dataset, dets, det_thresh=thresh,
                                               labeled_only=labelled_only)
    ours = eval_detection(images, det_thresh=thresh, labelled_only=labelled_only)
    assert ours['recall'] == pytest.approx(ref_recall, abs=1e-12)
    assert ours['ap'] == pytest.approx(ref_ap, abs=1e-12)


def _write_protocol(root: Path, images, rng, num_queries=6, size=5):
    """TestG{size}.mat whose galleries repeat images, sometimes with another target box."""
    from scipy.io import savemat

    def struct(rows, fields):
        arr = np.zeros((1, len(rows)), dtype=[(f, 'O') for f in fields])
        for i, row in enumerate(rows):
            for f in fields:
                arr[0, i][f] = row[f]
        return arr

    def xywh(box):
        return np.array([[box[0], box[1], box[2] - box[0], box[3] - box[1]]], dtype=np.float64)

    items = np.zeros((1, num_queries), dtype=[('Query', 'O'), ('Gallery', 'O')])
    for qi in range(num_queries):
        qimg = images[qi % len(images)]
        others = [g for g in images if g is not qimg]
        entries = []
        for j in range(size):
            g = others[int(rng.integers(len(others)))] if j < size - 1 or qi % 2 else \
                images[(qi + 1) % len(images)]  # odd galleries: a random repeat
            has = rng.random() < 0.5 or j == size - 1  # every query has a target
            box = xywh(g['gt_bboxes'][int(rng.integers(len(g['gt_bboxes'])))]) if has else \
                np.zeros((1, 0))
            entries.append(dict(imname=g['img_id'], idlocate=box, ishard=np.array([[0]])))
        if qi % 3 == 0:  # the same image twice with two different boxes
            g = others[0]
            entries[0] = dict(imname=g['img_id'], idlocate=xywh(g['gt_bboxes'][0]),
                              ishard=np.array([[0]]))
            entries[1] = dict(imname=g['img_id'], idlocate=xywh(g['gt_bboxes'][1]),
                              ishard=np.array([[0]]))
        items[0, qi]['Query'] = struct([dict(imname=qimg['img_id'],
                                             idlocate=xywh(qimg['gt_bboxes'][0]),
                                             ishard=np.array([[0]]), idname=f'p{qi:05d}')],
                                       ['imname', 'idlocate', 'ishard', 'idname'])
        items[0, qi]['Gallery'] = struct(entries, ['imname', 'idlocate', 'ishard'])
    path = root / 'annotation' / 'test' / 'train_test' / f'TestG{size}.mat'
    path.parent.mkdir(parents=True)
    savemat(str(path), {f'TestG{size}': items})
    return path


@pytest.mark.parametrize('seed', range(4))
def test_cuhk_search_with_repeated_gallery_images_equals_seqnet(seqnet, seed, tmp_path,
                                                                monkeypatch, capsys):
    from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol
    rng = np.random.default_rng(100 + seed)
    images = _random_case(rng, num_images=8)
    for g in images:
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    path = _write_protocol(tmp_path, images, rng)
    protocol = load_cuhk_sysu_protocol(str(path))
    q_feats = rng.normal(size=(len(protocol), 8)).astype(np.float32)
    # make each query resemble its first targets a little, so that hits exist
    q_feats /= np.linalg.norm(q_feats, axis=1, keepdims=True)
    queries = [dict(img_id=q['img_name'], bbox=q['bbox'], person_id=0, feat=f,
                    gallery=q['gallery'], gallery_bboxes=q['gallery_bboxes'])
               for q, f in zip(protocol, q_feats)]
    dataset = _Dataset(root=str(tmp_path), img_prefix='', annotations=_ref_annos(images),
                              imgs=[g['img_id'] for g in images])
    monkeypatch.chdir(tmp_path)
    ref = seqnet.eval_search_cuhk(dataset, list(range(len(queries))), _ref_dets(images),
                                  [g['feats'] for g in images], list(q_feats), None, None,
                                  gallery_size=5)
    ours = eval_person_search(images, queries)
    assert ours['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)
    np.testing.assert_allclose([ours['top1'], ours['top5'], ours['top10']], ref['accs'],
                               atol=1e-12)


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('cross_camera', [False, True])
def test_prw_search_equals_seqnet(seqnet, seed, cross_camera, capsys):
    rng = np.random.default_rng(200 + seed)
    images = _random_case(rng, num_images=10)
    for g in images:
        g['cam_id'] = _cam(g['img_id'])
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    annos = _ref_annos(images)
    queries, ref_queries = [], []
    for g, a in zip(images, annos):
        # a query needs its person in some gallery image (the reference divides by that count)
        elsewhere = [k for k in np.nonzero(g['gt_person_ids'] > 0)[0]
                     if any(o is not g and g['gt_person_ids'][k] in o['gt_person_ids']
                            and (not cross_camera or o['cam_id'] != g['cam_id'])
                            for o in images)]
        if not elsewhere:
            continue
        k = elsewhere[0]
        feat = rng.normal(size=8).astype(np.float32)
        feat /= np.linalg.norm(feat)
        queries.append(dict(img_id=g['img_id'], bbox=g['gt_bboxes'][k],
                            person_id=int(g['gt_person_ids'][k]), feat=feat, gallery=None,
                            cam_id=g['cam_id']))
        ref_queries.append(dict(img_name=g['img_id'], boxes=a['boxes'][k:k + 1],
                                pids=int(a['pids'][k]), cam_id=a['cam_id'], feat=feat))
    ref = seqnet.eval_search_prw(_Dataset(annotations=annos, img_prefix=''),
                                 _Dataset(annotations=ref_queries), _ref_dets(images),
                                 [g['feats'] for g in images], [q['feat'] for q in ref_queries],
                                 None, None, ignore_cam_id=not cross_camera)
    ours = eval_person_search(images, queries, cross_camera=cross_camera)
    assert ours['mAP'] == pytest.approx(ref['mAP'], abs=1e-12)
    np.testing.assert_allclose([ours['top1'], ours['top5'], ours['top10']], ref['accs'],
                               atol=1e-12)
