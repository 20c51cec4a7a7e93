# Copyright (c) mmped contributors. All rights reserved.
"""Offline log-average miss-rate evaluation of detection result files.

Examples::

    python tools/analysis/eval_mr.py data/citypersons/val_gt.json results.bbox.json \
        --protocol citypersons --out mr.json --plot mr.png
    python tools/analysis/eval_mr.py KAIST_annotation.json MLPD_result.txt MBNet_result.txt \
        --protocol kaist --plot kaist.png

GT: any layout the protocol's parser reads (CityPersons json / mat / gtBbox folder, Caltech
json / vbb / bbGt folder / dbEval ``gt-<setup>.mat`` cache (evaluated on that setup, flags
used as they are), KAIST json / bbGt folder, INRIA annotation folder). DETS: COCO
results json, KAIST text (``img_index(1-based),x,y,w,h,score``) or a Caltech results folder.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Dict

import numpy as np

from mmped.datasets.parsers.auto import dbeval_cache_setup, load_detections, load_ground_truth
from mmped.evaluation.functional import (
    MR_PROTOCOLS,
    evaluate_miss_rate,
    get_mr_protocol,
    summarize_miss_rate,
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Log-average miss rate of detection results')
    parser.add_argument('gt', help='ground-truth annotation file or folder')
    parser.add_argument('dets', nargs='+', help='detection result file(s) / folder(s)')
    parser.add_argument('--protocol', required=True, choices=sorted(MR_PROTOCOLS))
    parser.add_argument('--setups', nargs='+', help='subset of the protocol setups')
    parser.add_argument('--image-set', help='frame list for text-folder ground truth')
    parser.add_argument('--mr4', action='store_true', help='also report MR-4 (10^-4..10^0)')
    parser.add_argument('--no-resize-dets', action='store_true',
                        help='caltech/inria: do not standardise detections to 0.41 aspect')
    fppi = parser.add_mutually_exclusive_group()
    fppi.add_argument('--exact-fppi', action='store_true',
                      help='exact 10^(-2:.25:0) FPPI points (citypersons: instead of the '
                      '4-decimal points of the official script; kaist and caltech default)')
    fppi.add_argument('--rounded-fppi', action='store_true',
                      help='FPPI points rounded to 4 decimals as the Python reference scripts '
                      'hard-code them (kaist: the MLPD evaluation_script.py as published)')
    parser.add_argument('--keep-images-without-dets', action='store_true',
                        help='kaist: count the GT of images without detections (the MLPD '
                        'script skips them)')
    parser.add_argument('--out', help='write {setup: MR%%} (per DETS file if several) as JSON')
    parser.add_argument('--plot', help='draw MR-FPPI curves to this image file')
    return parser.parse_args(argv)


def _atomic_write(path: str, text: str) -> None:
    dirname = osp.dirname(osp.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=dirname, prefix='.eval_mr_')
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def plot_curves(curves: Dict[str, dict], path: str) -> None:
    """One panel per setup; one MR-FPPI curve per detection file, legend ``MR% name``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    setups = list(next(iter(curves.values())).keys())
    fig, axes = plt.subplots(1, len(setups), figsize=(5.5 * len(setups), 5), squeeze=False)
    for ax, setup in zip(axes[0], setups):
        ranked = sorted(curves.items(), key=lambda kv: -kv[1][setup].mr2)
        for name, res in ranked:
            r = res[setup]
            if len(r.fppi):  # clip zeros (perfect points) into the log-log axes
                ax.plot(np.maximum(r.fppi, 2e-4), np.maximum(r.miss_rate, 0.01), linewidth=2,
                        label=f'{r.mr2 * 100:.2f}% {name}')
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlim(2e-4, 50)
        ax.set_ylim(0.01, 1)
        ticks = [.05, .1, .2, .3, .4, .5, .64, .8, 1]
        ax.set_yticks(ticks)
        ax.set_yticklabels([f'{t:.2f}'.lstrip('0') if t < 1 else '1' for t in ticks])
        ax.grid(True, which='major')
        ax.set_xlabel('false positives per image')
        ax.set_ylabel('miss rate')
        ax.set_title(setup)
        ax.legend(loc='lower left', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> Dict[str, Dict[str, float]]:
    args = parse_args(argv)
    overrides = {}
    if args.exact_fppi:
        overrides['fppi_decimals'] = None
    elif args.rounded_fppi:
        overrides['fppi_decimals'] = 4
    if args.keep_images_without_dets:
        overrides['drop_images_without_dets'] = False
    setups = args.setups
    cache_setup = dbeval_cache_setup(args.gt) if args.protocol == 'caltech' else None
    if cache_setup is not None:  # dbEval gt-<setup>.mat: that setup only, GT used as is
        setups = [cache_setup]
        overrides['gt_prefiltered'] = True
    try:
        protocol = get_mr_protocol(args.protocol, setups=setups,
                                   resize_dets=False if args.no_resize_dets else None,
                                   **overrides)
        gt = load_ground_truth(args.gt, args.protocol, image_set=args.image_set)
    except (KeyError, ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    summaries, curves = {}, {}
    for det_path in args.dets:
        try:
            dets = load_detections(det_path, gt)
        except (ValueError, FileNotFoundError) as e:
            sys.exit(f'error: {e}')
        res = evaluate_miss_rate(gt, dets, protocol)
        name = osp.basename(osp.normpath(det_path))
        summaries[name] = summarize_miss_rate(res, protocol, mr4=args.mr4)
        curves[name] = res
        print(f'== {det_path} ({args.protocol}, {len(gt)} images)')
        for k, v in summaries[name].items():
            print(f'{k:>20s}: {v:6.2f}%')
    if args.out:
        out = next(iter(summaries.values())) if len(summaries) == 1 else summaries
        _atomic_write(args.out, json.dumps(out, indent=2))
    if args.plot:
        plot_curves(curves, args.plot)
    return summaries


if __name__ == '__main__':
    main()
