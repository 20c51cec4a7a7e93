# Copyright (c) mmped contributors. All rights reserved.
"""CPU inference time per 480 x 640 image and parameter counts: SSD-VGG16 vs GDFL vs CA-GDFL.

The three models are built from their Caltech configs in one process and timed on the same
random image, in interleaved rounds after a warm-up (median per model): the network alone
(backbone, neck, head convolutions) and the full predict path (plus box decoding and NMS, whose
cost depends on how many random-weight boxes pass the score threshold).
The paper claims the attention is cheap and that CA-GDFL is faster than GDFL at inference (its
segmentation branches are dropped and no image-size attention map is produced); the ratios
printed at the end check both claims on this machine.

Example::

    python benchmarks/gdfl_speed.py --repeat 5 --threads 2
"""
import argparse
import copy
import os.path as osp
import statistics
import time
from typing import Dict, Optional, Sequence

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'SSD-VGG16': 'configs/gdfl/ssd_vgg16_4xb8-12e_caltech.py',
    'GDFL': 'configs/gdfl/gdfl_vgg16_4xb8-12e_caltech.py',
    'CA-GDFL': 'configs/gdfl/ca-gdfl_vgg16_4xb8-12e_caltech.py',
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeat', type=int, default=5, help='timed images per model')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--widen-factor', type=float, default=1.0,
                        help='channel multiplier (1.0: the paper\'s models)')
    return parser.parse_args(argv)


def _scale_channels(cfg, factor: float) -> None:
    """Shrink every width of a GDFL-family config by ``factor`` (for quick runs)."""
    if factor == 1.0:
        return

    def w(c: int) -> int:
        return max(4, int(round(c * factor)))

    cfg.model.backbone.widen_factor = factor
    if cfg.model.get('neck'):
        cfg.model.neck.in_channels = [w(c) for c in cfg.model.neck.in_channels]
    cfg.model.bbox_head.in_channels = [w(c) for c in cfg.model.bbox_head.in_channels]


def build(name: str, factor: float):
    from mmengine.config import Config

    from mmped.registry import MODELS
    cfg = Config.fromfile(osp.join(REPO, CONFIGS[name]))
    cfg.model.backbone.init_cfg = None
    _scale_channels(cfg, factor)
    # PyTorch's default initialisation: timing does not depend on the weights' values, and
    # mmengine's init_weights would log every parameter
    return MODELS.build(cfg.model).eval()


def _time_once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    from mmdet.structures import DetDataSample

    from mmped.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    h, w = args.height, args.width
    image = torch.randn(1, 3, h, w) * 50
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), batch_input_shape=(h, w),
                scale_factor=(1.0, 1.0))
    models = {name: build(name, args.widen_factor) for name in CONFIGS}
    runs = {name: dict(network=[], predict=[]) for name in CONFIGS}
    with torch.no_grad():
        # interleaved rounds, so that load changes on a shared machine hit every model alike
        for rnd in range(args.warmup + args.repeat):
            for name, model in models.items():
                net = _time_once(lambda m=model: m._forward(image))
                full = _time_once(
                    lambda m=model: m.predict(image, [DetDataSample(metainfo=copy.copy(meta))]))
                if rnd >= args.warmup:
                    runs[name]['network'].append(net)
                    runs[name]['predict'].append(full)
    results = {}
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters())
        net, full = (statistics.median(runs[name][k]) for k in ('network', 'predict'))
        results[name] = dict(params=params, network=net, predict=full)
        print(f'{name:<10} params {params / 1e6:7.2f} M   network {net * 1000:8.1f} ms   '
              f'predict (with NMS) {full * 1000:8.1f} ms / image  ({h} x {w}, '
              f'{args.threads} threads, median of {args.repeat})')
    for key in ('network', 'predict'):
        ssd, gdfl, ca = (results[n][key] for n in ('SSD-VGG16', 'GDFL', 'CA-GDFL'))
        print(f'[{key}] ratio GDFL / SSD-VGG16 {gdfl / ssd:6.3f}   CA-GDFL / SSD-VGG16 '
              f'{ca / ssd:6.3f}   CA-GDFL / GDFL {ca / gdfl:6.3f} (paper: 0.04 / 0.05 = 0.8)')
    for name in ('GDFL', 'CA-GDFL'):
        ratio = results[name]['params'] / results['SSD-VGG16']['params']
        print(f'params {name} / SSD-VGG16 {ratio:6.3f}')
    return results


if __name__ == '__main__':
    main()
