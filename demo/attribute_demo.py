# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian attributes: of the people of a full image (boxes given or detected), or of every
crop of a folder.

Examples::

    # a folder of person crops -> attributes.json
    python demo/attribute_demo.py configs/par_baseline/par-baseline_r50_1xb64-30e_pa100k.py \\
        par_pa100k.pth --crops data/PA-100K/data --out-dir attr_out
    # the people of a street image, boxes given (x1 y1 x2 y2, repeatable) ...
    mim run mmped attribute_demo CONFIG CKPT --image street.png --box 100 50 160 200
    # ... or detected by a pedestrian detector
    python demo/attribute_demo.py CONFIG CKPT --image street.png \\
        --det-config configs/gdfl/gdfl_vgg16_2xb4-adam-40e_citypersons.py --det-weights gdfl.pth

Writes ``OUT/attributes.json``; for an image also ``OUT/<image>`` with every box and its
present attributes.
"""
import argparse
import json
import os.path as osp

import cv2

from mmped.utils.cli import add_model_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmped attribute demo')
    parser.add_argument('config', help='attribute model config')
    parser.add_argument('checkpoint', help='checkpoint (its meta names the attributes)')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--crops', help='folder of person crops')
    src.add_argument('--image', help='full image')
    parser.add_argument('--box', type=float, nargs=4, action='append',
                        metavar=('X1', 'Y1', 'X2', 'Y2'), help='person box in --image')
    parser.add_argument('--det-config', help='detector config to find the people')
    parser.add_argument('--det-weights', help='detector checkpoint')
    parser.add_argument('--det-score-thr', type=float, default=0.5)
    parser.add_argument('--thr', type=float, default=0.5, help='attribute threshold')
    parser.add_argument('--out-dir', default='attr_out')
    add_model_args(parser)
    return parser.parse_args(argv)


def _draw(image_path: str, results: list, out_file: str) -> None:
    from mmped.utils.fileio import write_bytes_atomic

    img = cv2.imread(image_path)
    for r in results:
        x1, y1, x2, y2 = (int(round(v)) for v in r['bbox'])
        cv2.rectangle(img, (x1, y1), (x2, y2), (0, 220, 0), 2)
        for k, name in enumerate(r['present'][:8]):
            cv2.putText(img, name, (x1 + 2, y1 + 14 + 14 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                        (0, 255, 255), 1, cv2.LINE_AA)
    write_bytes_atomic(out_file, cv2.imencode(osp.splitext(out_file)[1], img)[1].tobytes())


def main(argv=None) -> list:
    args = parse_args(argv)
    from mmped.apis import (
        PedDetInferencer,
        inference_attribute_folder,
        inference_attributes_on_image,
        init_ped_classifier,
    )
    from mmped.utils.fileio import write_bytes_atomic

    model = init_ped_classifier(args.config, args.checkpoint, args.device, args.cfg_options)
    out_json = osp.join(args.out_dir, 'attributes.json')
    if args.crops:
        rows = inference_attribute_folder(model, args.crops, out_json, args.thr)
        print(f'attributes of {len(rows)} crops -> {out_json}')
        return rows
    detector = None
    if args.box is None:
        if not args.det_config:
            raise SystemExit('--image needs --box or --det-config')
        detector = PedDetInferencer(args.det_config, args.det_weights, device=args.device)
    results = inference_attributes_on_image(model, args.image, args.box, detector,
                                            args.det_score_thr, args.thr)
    rows = [dict(bbox=r['bbox'], det_score=r['det_score'], present=r['present'],
                 scores=dict(zip(r['names'], [round(float(s), 5) for s in r['scores']])))
            for r in results]
    write_bytes_atomic(out_json, json.dumps(dict(image=args.image, results=rows),
                                            indent=1).encode())
    _draw(args.image, results, osp.join(args.out_dir, osp.basename(args.image)))
    print(f'attributes of {len(rows)} people -> {out_json}')
    return rows


if __name__ == '__main__':
    main()
