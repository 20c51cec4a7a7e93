# Copyright (c) mmped contributors. All rights reserved.
"""Speed of the CityPersons miss-rate evaluation vs ``json.load`` of the detection file.

Synthesises ~58k detections on the 500 CityPersons val images by jittering the real
``val_gt.json`` boxes (plus random false positives), writes them as a COCO results json, and
times, in one process:

- baseline: ``json.load`` of that file (the input-parsing floor);
- mmped: ``load_coco_results`` + ``parse_citypersons`` + all 4 setups of
  ``evaluate_miss_rate`` (the full offline evaluation).

Target (issue 3): ratio <= 3 (the official ``eval_MR_multisetup.py`` takes ~40x).

Usage: ``python benchmarks/det_eval_mr_speed.py [--gt PATH] [--num-dets 58000] [--repeat 5]``
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

from mmped.datasets.parsers import load_coco_results, parse_citypersons
from mmped.datasets.parsers.common import gc_paused
from mmped.evaluation.functional import evaluate_miss_rate, summarize_miss_rate
from mmped.testing import SHARED_DATA


def synthesise(gt_path: str, num_dets: int, seed: int = 0) -> list:
    """Jittered GT boxes + random boxes as COCO results (``num_dets`` in total)."""
    rng = np.random.default_rng(seed)
    with open(gt_path) as f:
        gt = json.load(f)
    anns = gt['annotations']
    boxes = np.array([a['bbox'] for a in anns], dtype=np.float64)
    img = np.array([a['image_id'] for a in anns])
    n_jit = int(num_dets * 0.6)
    pick = rng.integers(0, len(anns), n_jit)
    b = boxes[pick]
    wh = np.maximum(b[:, 2:], 1.0)
    jit = b.copy()
    jit[:, :2] += rng.normal(0, 0.1, (n_jit, 2)) * wh
    jit[:, 2:] = wh * np.exp(rng.normal(0, 0.1, (n_jit, 2)))
    n_rand = num_dets - n_jit
    h = np.exp(rng.uniform(np.log(20), np.log(400), n_rand))
    rnd = np.stack([rng.uniform(0, 2000, n_rand), rng.uniform(0, 900, n_rand), 0.41 * h, h], 1)
    all_boxes = np.concatenate([jit, rnd])
    all_img = np.concatenate([img[pick], rng.choice(np.unique(img), n_rand)])
    scores = np.concatenate([rng.uniform(0.3, 1.0, n_jit), rng.uniform(0.0, 0.7, n_rand)])
    order = np.lexsort((-scores, all_img))
    return [
        dict(image_id=int(all_img[i]), category_id=1,
             bbox=[round(float(v), 2) for v in all_boxes[i]], score=round(float(scores[i]), 4))
        for i in order
    ]


def timed(fn) -> float:
    """CPU time of this process (robust to other jobs on a shared machine)."""
    t = time.process_time()
    fn()
    return time.process_time() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gt', default=str(SHARED_DATA / 'citypersons' / 'val_gt.json'))
    parser.add_argument('--num-dets', type=int, default=58000)
    parser.add_argument('--repeat', type=int, default=7)
    args = parser.parse_args()

    dets = synthesise(args.gt, args.num_dets)
    with tempfile.TemporaryDirectory() as tmp:
        det_path = os.path.join(tmp, 'dets.json')
        with open(det_path, 'w') as f:
            json.dump(dets, f)
        num_dets = len(dets)
        del dets  # keep the process state lean: json.load's GC cost grows with live objects

        def baseline():
            with open(det_path) as f:
                json.load(f)

        def baseline_nogc():
            with gc_paused(), open(det_path) as f:
                json.load(f)

        def full():
            gt = parse_citypersons(args.gt)
            res = evaluate_miss_rate(gt, load_coco_results(det_path), 'citypersons')
            return summarize_miss_rate(res, 'citypersons')

        gt = parse_citypersons(args.gt)
        loaded = load_coco_results(det_path)

        def eval_only():
            evaluate_miss_rate(gt, loaded, 'citypersons')

        # interleave the measurements so that machine-load changes hit both alike
        t_base, t_nogc, t_full, t_eval = [], [], [], []
        for _ in range(args.repeat):
            t_base.append(timed(baseline))
            t_nogc.append(timed(baseline_nogc))
            t_full.append(timed(full))
            t_eval.append(timed(eval_only))
        t_base, t_nogc, t_full, t_eval = (float(np.median(t))
                                          for t in (t_base, t_nogc, t_full, t_eval))
        print(f'detections: {num_dets} on {len(gt)} images; MR: {full()}')
        print(f'json.load            : {t_base * 1000:8.1f} ms '
              f'(process CPU time, median of {args.repeat})')
        print(f'json.load, GC paused : {t_nogc * 1000:8.1f} ms (the strict parsing floor)')
        print(f'mmped full evaluation: {t_full * 1000:8.1f} ms  ratio {t_full / t_base:5.2f}x '
              '(target <= 3x)')
        print(f'  of which matching  : {t_eval * 1000:8.1f} ms  ratio {t_eval / t_base:5.2f}x')
        print(f'ratio vs the GC-paused floor: {t_full / t_nogc:5.2f}x')


if __name__ == '__main__':
    main()
