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
import io
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmped.datasets.parsers.auto import dbeval_cache_setup, load_detections, load_ground_truth
from mmped.evaluation.functional import (
    MR_PROTOCOLS,
    evaluate_miss_rate,
    get_mr_protocol,
    summarize_miss_rate,
)
from mmped.utils.fileio import write_bytes_atomic


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Log-average miss rate of detection results')
    parser.add_argument('gt', help='ground-truth annotation file or folder')
    parser.add_argument('dets', nargs='+', help='detection result file(s) / folder(s)')
    parser.add_argument('--protocol', required=True, choices=sorted([*MR_PROTOCOLS, 'kitti']),
                        help='kitti: AP of a label_2 result folder against training/label_2')
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
    parser.add_argument('--category-ids', nargs='+', type=int,
                        help='COCO results json: categories counted as pedestrians '
                        '(citypersons default: 1, as the official script; others: all)')
    parser.add_argument('--names', nargs='+',
                        help='labels of the DETS files in the output / plot (one per file)')
    parser.add_argument('--out', help='write {setup: MR%%} (per DETS file if several) as JSON')
    parser.add_argument('--plot', help='draw MR-FPPI curves to this image file')
    return parser.parse_args(argv)


def warn(message: str) -> None:
    """Print a warning line to stderr."""
    print(f'warning: {message}', file=sys.stderr)


def _same_file(a: str, b: str) -> bool:
    """``a`` and ``b`` name one file (equal paths, symbolic or hard links)."""
    if osp.realpath(a) == osp.realpath(b):
        return True
    try:
        return osp.samefile(a, b)
    except OSError:
        return False


def check_outputs(outputs: Dict[str, Optional[str]], inputs: Sequence[str]) -> None:
    """Refuse output paths that would destroy an input or cannot be written, before any work.

    Args:
        outputs (dict): ``{option: path or None}`` (``--out``, ``--plot``).
        inputs (Sequence[str]): Every input file or folder.

    Raises:
        ValueError: An output is an input (or a link to one), lies inside an input folder, is
            a folder, names the same file as another output, or its folder does not exist.
    """
    given = [(flag, path) for flag, path in outputs.items() if path]
    for flag, path in given:
        if osp.isdir(path):
            raise ValueError(f'{flag} {path}: is a folder')
        folder = osp.dirname(osp.abspath(path))
        if not osp.isdir(folder):
            raise ValueError(f'{flag} {path}: folder {folder} does not exist')
        real = osp.realpath(path)
        for inp in inputs:
            if _same_file(path, inp):
                raise ValueError(f'{flag} {path}: refusing to overwrite the input {inp}')
            root = osp.realpath(inp)
            if osp.isdir(root) and real.startswith(root.rstrip(os.sep) + os.sep):
                raise ValueError(f'{flag} {path}: refusing to write inside the input folder '
                                 f'{inp}')
    for i, (flag, path) in enumerate(given):
        for flag2, path2 in given[i + 1:]:
            if _same_file(path, path2):
                raise ValueError(f'{flag} and {flag2} name the same file {path}')


def result_labels(paths: Sequence[str], names: Optional[Sequence[str]] = None) -> List[str]:
    """One distinct label per detection file: ``names`` when given, else the basename, or the
    path below the files' common folder when basenames collide (``a/result.txt``).

    Args:
        paths (Sequence[str]): The DETS paths.
        names (Sequence[str], optional): User labels.

    Returns:
        list[str]: Labels, aligned with ``paths``.
    """
    if names is not None:
        if len(names) != len(paths):
            raise ValueError(f'--names: {len(names)} names for {len(paths)} result files')
        labels = list(names)
    else:
        labels = [osp.basename(osp.normpath(p)) for p in paths]
        if len(set(labels)) != len(labels):
            norm = [osp.abspath(p) for p in paths]
            common = osp.commonpath(norm) if len(set(norm)) > 1 else osp.dirname(norm[0])
            if osp.isfile(common) or common in norm:
                common = osp.dirname(common)
            labels = [osp.relpath(p, common).replace(os.sep, '/') for p in norm]
    dup = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dup:
        raise ValueError(f'result files with the same label {dup} (a file given twice? '
                         'use --names)')
    return labels


def check_image_ids(det_path: str, dets: dict, gt: Sequence[dict]) -> None:
    """Error when no detection's image id is a ground-truth image, warn when some are not.

    Args:
        det_path (str): The result file (for messages).
        dets (dict): ``img_id -> (bboxes, scores)``.
        gt (Sequence[dict]): Ground-truth records.
    """
    if not dets:
        warn(f'{det_path}: no detection; the miss rate is 100% on every setup with '
                      'ground truth')
        return
    gt_ids = {r['img_id'] for r in gt}
    unknown = [k for k in dets if k not in gt_ids]
    if len(unknown) == len(dets):
        raise ValueError(f'{det_path}: none of the {len(dets)} image ids of the detections is '
                         f'a ground-truth image (detections e.g. {unknown[:3]}, ground truth '
                         f'e.g. {[r["img_id"] for r in gt[:3]]})')
    if unknown:
        n_det = sum(len(dets[k][1]) for k in unknown)
        warn(f'{det_path}: {len(unknown)} of {len(dets)} image ids ({n_det} '
                      f'detections) match no ground-truth image and are ignored, e.g. '
                      f'{unknown[:3]}')


def finite_or_none(summary: Dict[str, float], label: str) -> Dict[str, Optional[float]]:
    """Replace undefined values (a setup without ground truth) by None, with a warning."""
    out = {}
    for key, value in summary.items():
        if isinstance(value, float) and not math.isfinite(value):
            warn(f'{label}: {key} has no ground truth; reported as null')
            value = None
        out[key] = value
    return out


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
    buf = io.BytesIO()
    ext = osp.splitext(path)[1].lstrip('.').lower() or 'png'
    fig.savefig(buf, dpi=100, format=ext)
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def _evaluate_kitti(args: argparse.Namespace, labels: Sequence[str]) -> Dict[str, dict]:
    """KITTI 2D pedestrian AP of result folders (``<id>.txt`` with a score column)."""
    from mmped.datasets.parsers import load_kitti_results, parse_kitti
    from mmped.evaluation.functional import eval_kitti_pedestrian_ap

    try:
        gt = parse_kitti(args.gt, image_set=args.image_set)
        summaries = {}
        for det_path, name in zip(args.dets, labels):
            dets = load_kitti_results(det_path, gt)
            check_image_ids(det_path, dets, gt)
            summaries[name] = eval_kitti_pedestrian_ap(gt, dets)
            print(f'== {det_path} (kitti, {len(gt)} images)')
            for k, v in summaries[name].items():
                print(f'{k:>20s}: {v:6.2f}%')
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    if args.out:
        out = next(iter(summaries.values())) if len(summaries) == 1 else summaries
        write_bytes_atomic(args.out, json.dumps(out, indent=2, allow_nan=False).encode())
    return summaries


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
    cache_setup = dbeval_cache_setup(args.gt) if args.protocol in ('caltech', 'caltech_new') \
        else None
    if cache_setup is not None:  # dbEval gt-<setup>.mat: that setup only, GT used as is
        setups = [cache_setup]
        overrides['gt_prefiltered'] = True
    inputs = [args.gt, *args.dets] + ([args.image_set] if args.image_set else [])
    category_ids = args.category_ids
    if category_ids is None and args.protocol == 'citypersons':
        category_ids = [1]
    try:
        check_outputs({'--out': args.out, '--plot': args.plot}, inputs)
        labels = result_labels(args.dets, args.names)
        if args.protocol == 'kitti':
            if args.plot:
                raise ValueError('--plot: no MR-FPPI curves for the kitti protocol')
            return _evaluate_kitti(args, labels)
        protocol = get_mr_protocol(args.protocol, setups=setups,
                                   resize_dets=False if args.no_resize_dets else None,
                                   **overrides)
        gt = load_ground_truth(args.gt, args.protocol, image_set=args.image_set)
    except (KeyError, ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    summaries, curves = {}, {}
    for det_path, name in zip(args.dets, labels):
        try:
            dets = load_detections(det_path, gt, category_ids=category_ids)
            check_image_ids(det_path, dets, gt)
        except (ValueError, FileNotFoundError) as e:
            sys.exit(f'error: {e}')
        res = evaluate_miss_rate(gt, dets, protocol)
        summaries[name] = finite_or_none(summarize_miss_rate(res, protocol, mr4=args.mr4),
                                         name)
        curves[name] = res
        print(f'== {det_path} ({args.protocol}, {len(gt)} images)')
        for k, v in summaries[name].items():
            print(f'{k:>20s}: ' + ('   n/a' if v is None else f'{v:6.2f}%'))
    if args.out:
        out = next(iter(summaries.values())) if len(summaries) == 1 else summaries
        write_bytes_atomic(args.out, json.dumps(out, indent=2, allow_nan=False).encode())
    if args.plot:
        plot_curves(curves, args.plot)
    return summaries


if __name__ == '__main__':
    main()
