# Copyright (c) mmped contributors. All rights reserved.
"""Parameters and CPU inference time of the person-search baseline vs BUFF (paper Table 7).

Both models are built from their configs and timed in the same process on the same random
600 x 1000 image (the paper's input size), with the gallery "detections" either predicted
or given as ground-truth boxes (``--gt-boxes N``, default 8, as in the paper's Table 7). Prints
parameter counts and the BUFF / baseline ratios (paper: 35.05M -> 37.01M, 0.117 s -> 0.127 s
on a TITAN Xp, i.e. +5.6% parameters and +8.5% time).

    OMP_NUM_THREADS=1 python benchmarks/buff_speed.py --repeat 5 --threads 1
"""
import argparse
import time

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

CONFIGS = dict(baseline='baseline_r50_1xb4-5e_prw.py', buff='buff_r50_1xb4-5e_prw.py')


def _sample(height: int, width: int, num_gt: int) -> DetDataSample:
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         pad_shape=(height, width), scale_factor=(1.0, 1.0),
                                         batch_input_shape=(height, width)))
    g = torch.Generator().manual_seed(0)
    x1 = torch.rand(num_gt, generator=g) * (width - 100)
    y1 = torch.rand(num_gt, generator=g) * (height - 250)
    boxes = torch.stack([x1, y1, x1 + 60 + 40 * torch.rand(num_gt, generator=g),
                         y1 + 150 + 100 * torch.rand(num_gt, generator=g)], dim=1)
    sample.gt_instances = InstanceData(bboxes=boxes, labels=torch.zeros(num_gt, dtype=torch.long))
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--height', type=int, default=600)
    parser.add_argument('--width', type=int, default=1000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--gt-boxes', type=int, default=8,
                        help='use N ground-truth boxes as gallery detections, the setting of '
                        "the paper's Table 7 and a workload equal for both models (0: detect; "
                        'untrained models then keep different numbers of boxes)')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=True)
    torch.manual_seed(0)
    image = torch.randn(1, 3, args.height, args.width)
    models, stats = {}, {}
    for name, cfg_name in CONFIGS.items():
        cfg = Config.fromfile(REPO_ROOT / 'configs' / 'buff' / cfg_name)
        cfg.model.test_cfg.use_gt_boxes = args.gt_boxes > 0
        models[name] = MODELS.build(cfg.model).eval()
        stats[name] = dict(params=sum(p.numel() for p in models[name].parameters()), times=[])
    sample = _sample(args.height, args.width, args.gt_boxes)
    with torch.no_grad():
        for step in range(args.warmup + args.repeat):
            # interleaved runs: a load change on a shared machine hits both models alike
            for name, model in models.items():
                start = time.perf_counter()
                model.predict(image, [sample.clone()])
                if step >= args.warmup:
                    stats[name]['times'].append(time.perf_counter() - start)
    for name, st in stats.items():
        st['time'] = sorted(st['times'])[len(st['times']) // 2]
        print(f'{name:9s} params {st["params"] / 1e6:7.2f}M  median time {st["time"]:.3f} s '
              f'({args.repeat} runs, {args.threads} thread(s), {args.height}x{args.width}, '
              f'{"gt boxes" if args.gt_boxes else "detected boxes"})')
    p_ratio = stats['buff']['params'] / stats['baseline']['params']
    t_ratio = stats['buff']['time'] / stats['baseline']['time']
    print(f'BUFF / baseline: params x{p_ratio:.3f} (+{(p_ratio - 1) * 100:.1f}%, '
          f'+{(stats["buff"]["params"] - stats["baseline"]["params"]) / 1e6:.2f}M; paper +5.6%, '
          f'+1.96M), time x{t_ratio:.3f} (+{(t_ratio - 1) * 100:.1f}%; paper +8.5%)')


if __name__ == '__main__':
    main()
