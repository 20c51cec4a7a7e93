# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR vs its baseline: parameters and inference time, as a same-process ratio.

The paper (Computational Complexity Analysis): baseline (SRN without spatial regularisation)
45.4M parameters, 22.28 ms per image on a GTX 1080Ti; Da-HAR 52.4M, 24.04 ms (ratio 1.08).
This script builds both from ``configs/dahar`` (random weights), times the test forward
(``predict``, both branches, full-patch 256 x 256 input by default) and prints the ratio.

    python benchmarks/dahar_speed.py [--device cuda] [--batch 1] [--size 256] [--iters 20]
"""
import argparse
import time

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

CONFIGS = {
    'baseline': 'configs/dahar/dahar-abl-baseline_r101_1xb32-30e_wider-attribute.py',
    'dahar': 'configs/dahar/dahar_r101_1xb32-30e_wider-attribute.py',
}


def build(config: str, device: str) -> torch.nn.Module:
    from mmped.registry import MODELS
    model = MODELS.build(Config.fromfile(config).model)
    return model.to(device).eval()


@torch.no_grad()
def time_forward(model: torch.nn.Module, inputs: torch.Tensor, iters: int) -> float:
    """Median seconds of one ``predict`` call."""
    for _ in range(3):
        model.predict(inputs)
    times = []
    for _ in range(iters):
        if inputs.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.predict(inputs)
        if inputs.is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--iters', type=int, default=20)
    args = parser.parse_args()
    init_default_scope('mmped')
    inputs = torch.randn(args.batch, 3, args.size, args.size, device=args.device)
    results = {}
    for name, config in CONFIGS.items():
        model = build(config, args.device)
        params = sum(p.numel() for p in model.parameters()) / 1e6
        results[name] = (params, time_forward(model, inputs, args.iters))
        print(f'{name:9s} params {params:6.2f}M  forward {results[name][1] * 1e3:8.2f} ms '
              f'(batch {args.batch}, {args.size}x{args.size}, {args.device})')
    print(f'ratio dahar / baseline: params {results["dahar"][0] / results["baseline"][0]:.3f} '
          f'(paper 52.4 / 45.4 = 1.154), time {results["dahar"][1] / results["baseline"][1]:.3f} '
          '(paper 24.04 / 22.28 = 1.079)')


if __name__ == '__main__':
    main()
