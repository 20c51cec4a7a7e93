# Copyright (c) mmped contributors. All rights reserved.
"""Share of annotated pedestrians that a config's RPN anchors can match at the positive IoU.

Example::

    python tools/analysis/anchor_coverage.py configs/dcrl/dcrl_vgg16_1xb2-100e_kaist.py \
        data/kaist/KAIST_annotation.json --protocol kaist --img-size 512 640

A pedestrian whose best anchor IoU is below the RPN's positive threshold can never be an RPN
positive. Non-ignored boxes of the ground truth are counted; the output is a json dict of
coverages (all, below / above ``--split-height``).
"""
import argparse
import json
import sys

import torch
from mmengine.config import Config

from mmped.datasets.parsers.auto import load_ground_truth
from mmped.models.task_modules import anchor_coverage
from mmped.utils import register_all_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='RPN anchor coverage of ground-truth boxes')
    parser.add_argument('config', help='config with model.rpn_head.anchor_generator')
    parser.add_argument('gt', help='ground-truth annotation file or folder')
    parser.add_argument('--protocol', default='kaist', help='ground-truth parser (protocol)')
    parser.add_argument('--image-set', help='frame list for text-folder ground truth')
    parser.add_argument('--img-size', nargs=2, type=int, default=(512, 640),
                        metavar=('H', 'W'), help='network input size')
    parser.add_argument('--iou-thr', type=float, help='default: the RPN min_pos_iou')
    parser.add_argument('--split-height', type=float, default=55.0)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(args.config)
    iou_thr = args.iou_thr
    if iou_thr is None:
        iou_thr = cfg.model.train_cfg.rpn.assigner.min_pos_iou
    records = load_ground_truth(args.gt, args.protocol, image_set=args.image_set)
    boxes = [inst['bbox'] for rec in records for inst in rec['instances']
             if not inst['ignore_flag']]
    gt = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    out = anchor_coverage(gt, cfg.model.rpn_head.anchor_generator, tuple(args.img_size),
                          iou_thr, (0.0, args.split_height, float('inf')))
    out['iou_thr'] = iou_thr
    print(json.dumps(out, indent=1))
    return out


if __name__ == '__main__':
    main(sys.argv[1:])
