# Copyright (c) mmped contributors. All rights reserved.
"""RGB-T (visible + thermal) pedestrian detection with a DCRL teacher or a DCRD student.

Examples::

    # one pair
    python demo/rgbt_demo.py configs/dcrl/dcrl_vgg16_1xb2-100e_kaist.py --weights dcrl.pth \\
        --visible set08/V000/visible/I02159.jpg --lwir set08/V000/lwir/I02159.jpg --out-dir rgbt_out
    # two folders matched by name (KAIST visible/ and lwir/)
    mim run mmped rgbt_demo configs/dcrl/dcrl_vgg16_1xb2-100e_kaist.py --weights dcrl.pth \\
        --visible data/kaist/images/set06/V000/visible --lwir data/kaist/images/set06/V000/lwir
    # RGB-only student: --lwir optional (drawn beside the visible image when given)
    python demo/rgbt_demo.py configs/dcrl/dcrd-student_vgg16_1xb2-150e_kaist-rgb.py \\
        --weights dcrd.pth --visible data/kaist/images/set06/V000/visible

Writes ``OUT/vis/<name>.jpg`` (visible | thermal side by side), ``OUT/results.bbox.json`` and
``OUT/images.json``.
"""
import argparse
import os.path as osp

from mmped.utils.cli import add_model_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmped RGB-T detection demo')
    parser.add_argument('config', help='DCRL teacher or DCRD student config')
    parser.add_argument('--weights', help='checkpoint (random weights if omitted)')
    parser.add_argument('--visible', required=True, help='visible image or folder')
    parser.add_argument('--lwir', help='thermal image or folder (matched by name)')
    parser.add_argument('--out-dir', default='rgbt_out', help='output folder')
    parser.add_argument('--score-thr', type=float, default=0.3, help='drawn box threshold')
    add_model_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmped.apis.rgbt import inference_rgbt_folders, inference_rgbt_pairs, init_rgbt_detector

    model = init_rgbt_detector(args.config, args.weights, args.device, args.cfg_options)
    if osp.isdir(args.visible):
        out = inference_rgbt_folders(model, args.visible, args.lwir, args.out_dir,
                                     args.score_thr)
    else:
        out = inference_rgbt_pairs(model, [(args.visible, args.lwir)], args.out_dir,
                                   args.score_thr, show_progress=False)
    print(f'{len(out["results"])} boxes in {len(out["images"])} pairs -> '
          f'{out["results_file"]}; drawings in {osp.join(args.out_dir, "vis")}')
    return out


if __name__ == '__main__':
    main()
