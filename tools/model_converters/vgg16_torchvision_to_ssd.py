# Copyright (c) mmped contributors. All rights reserved.
"""Convert torchvision's ImageNet ``vgg16`` weights into VGG16Det's SSD layout (fc6 / fc7 as
subsampled convolutions), for GDFL / SSD configs.

torchvision's VGG16 was trained on RGB images scaled to [0, 1] and normalised with the ImageNet
mean / std; in mmdet's 0-255 units that is ``mean=[123.675, 116.28, 103.53]``,
``std=[58.395, 57.12, 57.375]``, ``bgr_to_rgb=True``. Train with both the converted file and
that normalisation (the GDFL configs' default, BGR minus mean with std 1, matches the Caffe
VGG16 of ``open-mmlab://vgg16_caffe`` instead)::

    python tools/model_converters/vgg16_torchvision_to_ssd.py vgg16-397923af.pth vgg16_ssd.pth
    mim train mmped configs/gdfl/gdfl_vgg16_4xb8-12e_caltech.py --cfg-options \\
        model.backbone.init_cfg.checkpoint=vgg16_ssd.pth model.data_preprocessor.bgr_to_rgb=True \\
        "model.data_preprocessor.mean=[123.675,116.28,103.53]" \\
        "model.data_preprocessor.std=[58.395,57.12,57.375]"

The output is written atomically and never over an existing file.
"""
import argparse
import io
import os.path as osp
import sys

import torch

from mmped.models.backbones.vgg16_det import convert_torchvision_vgg16
from mmped.utils import write_bytes_atomic


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help="torchvision vgg16 weights (e.g. vgg16-397923af.pth)")
    parser.add_argument('out', help='converted checkpoint (must not exist)')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if osp.abspath(args.src) == osp.abspath(args.out):
        print(f'error: output {args.out} is the input', file=sys.stderr)
        return 2
    if osp.exists(args.out):
        print(f'error: {args.out} exists; refusing to overwrite it', file=sys.stderr)
        return 2
    state = torch.load(args.src, map_location='cpu', weights_only=True)
    if isinstance(state, dict) and 'state_dict' in state:
        state = state['state_dict']
    try:
        converted = convert_torchvision_vgg16(state)
    except (KeyError, ValueError) as err:
        print(f'error: {args.src}: {err}', file=sys.stderr)
        return 2
    buf = io.BytesIO()
    torch.save(dict(state_dict=converted), buf)
    write_bytes_atomic(args.out, buf.getvalue())
    print(f'wrote {args.out}: {len(converted)} tensors (fc6 / fc7 as convolutions)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
