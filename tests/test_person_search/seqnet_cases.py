# Copyright (c) mmped contributors. All rights reserved.
"""Generated person-search cases and SeqNet's ``eval_func.py`` answers to them.

The same seeded cases feed ``test_metric_vs_seqnet.py``, which runs SeqNet's evaluation
(``MMPED_SEQNET_ROOT``: a checkout of https://github.com/serend1p1ty/SeqNet, never vendored;
scikit-learn and tabulate importable), and ``test_metric_seqnet_stored.py``, which compares
mmped with SeqNet's answers stored in ``tests/data/reference/seqnet_eval.json`` wherever the
suite runs. The stored file holds only SeqNet's numbers (recall / AP of detection, mAP and
top-k of search), written by::

    MMPED_SEQNET_ROOT=/path/to/SeqNet python tests/test_person_search/seqnet_cases.py --write

``test_metric_vs_seqnet.py::test_stored_reference_is_seqnets`` checks it again whenever
SeqNet is present.
"""
import contextlib
import importlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Iterator, List, Tuple

import numpy as np

from mmped.evaluation.functional.person_search import eval_detection, eval_person_search

REFERENCE = Path(__file__).resolve().parents[1] / 'data' / 'reference' / 'seqnet_eval.json'
UNLABELLED = 5555  # SeqNet's id of unlabelled people
#: (kind, seed, option, threshold) of every stored case
DETECTION_CASES = [('detection', seed, labelled_only, thresh) for seed in range(6)
                   for labelled_only in (False, True) for thresh in (0.01, 0.5)]
CUHK_CASES = [('cuhk', seed, None, None) for seed in range(4)]
PRW_CASES = [('prw', seed, cross_camera, None) for seed in range(4)
             for cross_camera in (False, True)]
CASES = DETECTION_CASES + CUHK_CASES + PRW_CASES


def case_id(case: tuple) -> str:
    """Key of a case in the stored file, e.g. ``detection-3-True-0.5``."""
    return '-'.join(str(v) for v in case)


def random_case(rng, num_images=8, dim=8):
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


class RefDataset(SimpleNamespace):
    """The attributes of SeqNet's dataset objects that its evaluation reads."""

    def __len__(self):
        return len(self.annotations)


def cam_of(name):
    return int(name[1:-4]) % 3


def ref_dets(images):
    return [np.concatenate([g['bboxes'], g['scores'][:, None]], axis=1) for g in images]


def ref_annos(images):
    return [dict(img_name=g['img_id'], boxes=g['gt_bboxes'].astype(np.int32),
                 pids=np.where(g['gt_person_ids'] < 0, UNLABELLED, g['gt_person_ids']),
                 cam_id=cam_of(g['img_id'])) for g in images]


def write_protocol(root: Path, images, rng, num_queries=6, size=5):
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



def _box_iou(boxes: np.ndarray, box: np.ndarray) -> np.ndarray:
    """IoU of boxes (N, 4) with one box (4,), xyxy."""
    wh = np.clip(np.minimum(boxes[:, 2:], box[2:]) - np.maximum(boxes[:, :2], box[:2]), 0, None)
    inter = wh[:, 0] * wh[:, 1]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / (area + (box[2] - box[0]) * (box[3] - box[1]) - inter)


def _resembling(rng: np.random.Generator, images: List[dict], targets) -> np.ndarray:
    """A unit query feature near the features of the detections covering its targets.

    Args:
        targets: ``(image index, xyxy box)`` pairs; a detection with IoU >= 0.5 with a
            target box contributes its feature, so that the target ranks high, not always
            first (the noise keeps hits and misses).
    """
    feat = rng.normal(scale=0.6, size=8)
    for i, box in targets:
        dets = images[i]['bboxes'].astype(np.float64)
        if len(dets):
            iou = _box_iou(dets, np.asarray(box, np.float64))
            if iou.max() >= 0.5:
                feat = feat + images[i]['feats'][int(iou.argmax())]
    return (feat / np.linalg.norm(feat)).astype(np.float32)


def _detection_inputs(seed: int) -> List[dict]:
    images = random_case(np.random.default_rng(seed))
    for g in images:
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    return images


def _cuhk_inputs(seed: int, root: Path) -> Tuple[List[dict], List[dict], np.ndarray]:
    from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol
    rng = np.random.default_rng(100 + seed)
    images = random_case(rng, num_images=8)
    for g in images:
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    protocol = load_cuhk_sysu_protocol(str(write_protocol(root, images, rng)))
    index = {g['img_id']: i for i, g in enumerate(images)}
    q_feats = np.stack([
        _resembling(rng, images, [(index[name], box) for name, box in
                                  zip(q['gallery'], q['gallery_bboxes']) if box is not None])
        for q in protocol])
    queries = [dict(img_id=q['img_name'], bbox=q['bbox'], person_id=0, feat=f,
                    gallery=q['gallery'], gallery_bboxes=q['gallery_bboxes'])
               for q, f in zip(protocol, q_feats)]
    return images, queries, q_feats


def _prw_inputs(seed: int, cross_camera: bool) -> Tuple[List[dict], List[dict], List[dict]]:
    rng = np.random.default_rng(200 + seed)
    images = random_case(rng, num_images=10)
    for g in images:
        g['cam_id'] = cam_of(g['img_id'])
        g['gt_bboxes'] = g['gt_bboxes'].astype(np.int32).astype(np.float64)
    annos = ref_annos(images)
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
        pid = g['gt_person_ids'][k]
        feat = _resembling(rng, images, [
            (i, o['gt_bboxes'][int(np.flatnonzero(o['gt_person_ids'] == pid)[0])])
            for i, o in enumerate(images)
            if o is not g and pid in o['gt_person_ids']][:2])
        queries.append(dict(img_id=g['img_id'], bbox=g['gt_bboxes'][k],
                            person_id=int(g['gt_person_ids'][k]), feat=feat, gallery=None,
                            cam_id=g['cam_id']))
        ref_queries.append(dict(img_name=g['img_id'], boxes=a['boxes'][k:k + 1],
                                pids=int(a['pids'][k]), cam_id=a['cam_id'], feat=feat))
    return images, queries, ref_queries


def _search_answer(mean_ap: float, accs) -> dict:
    return dict(mAP=float(mean_ap), accs=[float(v) for v in accs])


def mmped_answer(case: tuple) -> dict:
    """mmped's numbers on one case (the stored file's layout)."""
    kind, seed, option, thresh = case
    if kind == 'detection':
        out = eval_detection(_detection_inputs(seed), det_thresh=thresh, labelled_only=option)
        return dict(recall=float(out['recall']), ap=float(out['ap']))
    if kind == 'cuhk':
        with tempfile.TemporaryDirectory() as tmp:
            images, queries, _ = _cuhk_inputs(seed, Path(tmp))
        out = eval_person_search(images, queries)
    else:
        images, queries, _ = _prw_inputs(seed, option)
        out = eval_person_search(images, queries, cross_camera=option)
    return _search_answer(out['mAP'], [out['top1'], out['top5'], out['top10']])


@contextlib.contextmanager
def seqnet_module(root: str) -> Iterator:
    """SeqNet's ``eval_func`` imported from a checkout (its ``utils`` package kept apart)."""
    saved = {k: v for k, v in sys.modules.items() if k == 'utils' or k.startswith('utils.')}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, root)
    try:
        module = importlib.import_module('eval_func')
    finally:
        sys.path.remove(root)
    try:
        yield module
    finally:
        for k in [k for k in sys.modules if k == 'utils' or k.startswith('utils.')
                  or k == 'eval_func']:
            del sys.modules[k]
        sys.modules.update(saved)


def seqnet_answer(seqnet, case: tuple) -> dict:
    """SeqNet's numbers on one case (its prints swallowed; its ``vis/`` output in a temporary
    folder)."""
    kind, seed, option, thresh = case
    with contextlib.redirect_stdout(io.StringIO()):
        if kind == 'detection':
            images = _detection_inputs(seed)
            # the reference tests ``det != []``: each image's detections as a list of rows
            dets = [d.tolist() for d in ref_dets(images)]
            recall, ap = seqnet.eval_detection(RefDataset(annotations=ref_annos(images)), dets,
                                               det_thresh=thresh, labeled_only=option)
            return dict(recall=float(recall), ap=float(ap))
        if kind == 'cuhk':
            with tempfile.TemporaryDirectory() as tmp:
                images, queries, q_feats = _cuhk_inputs(seed, Path(tmp))
                dataset = RefDataset(root=tmp, img_prefix='', annotations=ref_annos(images),
                                     imgs=[g['img_id'] for g in images])
                cwd = os.getcwd()
                os.chdir(tmp)
                try:
                    ref = seqnet.eval_search_cuhk(
                        dataset, list(range(len(queries))), ref_dets(images),
                        [g['feats'] for g in images], list(q_feats), None, None, gallery_size=5)
                finally:
                    os.chdir(cwd)
        else:
            images, _, ref_queries = _prw_inputs(seed, option)
            ref = seqnet.eval_search_prw(
                RefDataset(annotations=ref_annos(images), img_prefix=''),
                RefDataset(annotations=ref_queries), ref_dets(images),
                [g['feats'] for g in images], [q['feat'] for q in ref_queries], None, None,
                ignore_cam_id=not option)
    return _search_answer(ref['mAP'], ref['accs'])


def load_reference() -> dict:
    """The stored SeqNet answers, ``case_id -> answer`` (see the module docstring)."""
    return json.loads(REFERENCE.read_text())['answers']


if __name__ == '__main__':
    if '--write' not in sys.argv[1:]:
        sys.exit(__doc__)
    with seqnet_module(os.environ['MMPED_SEQNET_ROOT']) as seqnet:
        answers = {case_id(c): seqnet_answer(seqnet, c) for c in CASES}
    doc = dict(source='SeqNet eval_func.py (eval_detection, eval_search_cuhk, eval_search_prw) '
               'on the cases of tests/test_person_search/seqnet_cases.py', answers=answers)
    tmp_file = REFERENCE.with_suffix('.json.tmp')
    tmp_file.write_text(json.dumps(doc, indent=1) + '\n')
    tmp_file.replace(REFERENCE)
    print(f'wrote {REFERENCE}')
