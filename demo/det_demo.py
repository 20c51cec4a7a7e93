# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian detection on an image, a folder of images or a video.

Example::

    python demo/det_demo.py data/citypersons/leftImg8bit/val/frankfurt \\
        configs/gdfl/gdfl_vgg16_2xb4-adam-40e_citypersons.py --weights gdfl_citypersons.pth \\
        --out-dir det_out --ann-file data/citypersons/annotations/val_gt.json
    mim run mmped det_demo street.mp4 CONFIG --weights CKPT --out-dir det_out

Writes ``OUT/vis/<image>`` (``OUT/<video>.mp4`` for a video), ``OUT/results.bbox.json``
(COCO results, read by ``tools/analysis/eval_mr.py GT OUT/results.bbox.json``) and
``OUT/images.json``.
"""
import argparse

from mmped.utils.cli import add_model_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmped pedestrian detection demo')
    parser.add_argument('inputs', nargs='+', help='image(s), folder(s) or one video')
    parser.add_argument('config', help='detector config')
    parser.add_argument('--weights', help='checkpoint (random weights if omitted)')
    parser.add_argument('--out-dir', default='det_out', help='output folder')
    parser.add_argument('--ann-file', help='COCO-style ground truth whose image ids to use')
    parser.add_argument('--score-thr', type=float, default=0.3, help='drawn box threshold')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--no-vis', action='store_true', help='do not write drawings')
    add_model_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmengine.config import Config

    from mmped.apis import PedDetInferencer

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inferencer = PedDetInferencer(cfg, args.weights, device=args.device)
    inputs = args.inputs[0] if len(args.inputs) == 1 else args.inputs
    out = inferencer.run(inputs, args.out_dir, pred_score_thr=args.score_thr,
                         batch_size=args.batch_size, ann_file=args.ann_file,
                         save_vis=not args.no_vis)
    print(f'{len(out["results"])} boxes in {len(out["images"])} images -> '
          f'{out["results_file"]}; drawings: {len(out["vis"])} in {args.out_dir}')
    return out


if __name__ == '__main__':
    main()
