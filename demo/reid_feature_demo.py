# Copyright (c) mmped contributors. All rights reserved.
"""Export the re-ID features of a folder of person crops.

Example::

    python demo/reid_feature_demo.py \\
        configs/reid_baseline/reid-baseline_r50_1xb64-120e_market1501.py reid_market.pth \\
        data/market1501/bounding_box_test --out-dir reid_feats
    mim run mmped reid_feature_demo CONFIG CKPT CROPS_FOLDER --out-dir reid_feats

Writes ``OUT/features.npy`` (float32 (N, D)) and ``OUT/index.json`` (row -> crop file,
identity and camera of Market-1501-style names).
"""
import argparse

from mmped.utils.cli import add_model_args


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='mmped re-ID feature export')
    parser.add_argument('config', help='re-ID model config')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (random weights if omitted)')
    parser.add_argument('folder', help='folder of person crops')
    parser.add_argument('--out-dir', default='reid_feats')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--recursive', action='store_true', help='also read sub-folders')
    add_model_args(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmped.apis import export_reid_features, init_ped_classifier

    model = init_ped_classifier(args.config, args.checkpoint, args.device, args.cfg_options)
    out = export_reid_features(model, args.folder, args.out_dir, args.batch_size,
                               args.recursive)
    print(f'{out["features"].shape[0]} x {out["features"].shape[1]} features -> '
          f'{out["features_file"]}, index {out["index_file"]}')
    return out


if __name__ == '__main__':
    main()
