# Copyright (c) mmped contributors. All rights reserved.
"""Inference time of the DCRD-PDN student vs the DCRL-PDN teacher on 640 x 512 KAIST frames.

Builds both models from their configs (full VGG16 sizes, random weights: speed does not depend
on the values), and times, in one process on the CPU, ``model.predict`` on one frame after a
warm-up:

- baseline: the two-stream teacher (``dcrl_vgg16_1xb2-100e_kaist.py``, visible + lwir input);
- student: the RGB-only student (``dcrd-student_vgg16_1xb2-150e_kaist-rgb.py``).

Paper (Table VII, RTX 2080 Ti): student 0.128 s vs teacher 0.175 s per frame, ratio 0.73.

Usage: ``python benchmarks/dcrl_speed.py [--runs 3] [--threads 1] [--size 640 512]``
"""
import argparse
import time
from typing import Callable, List

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

CONFIGS = REPO_ROOT / 'configs' / 'dcrl'


def build(name: str) -> torch.nn.Module:
    """Model of a DCRL config in eval mode, without pretrained weights."""
    cfg = Config.fromfile(str(CONFIGS / name))
    cfg.model.backbone.pretrained = None
    model = MODELS.build(cfg.model)
    return model.eval()


def time_fn(fn: Callable[[], object], runs: int) -> List[float]:
    """Wall times of ``runs`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--size', type=int, nargs=2, default=(640, 512), metavar=('W', 'H'))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules()
    w, h = args.size
    meta = dict(img_shape=(h, w), ori_shape=(h, w), batch_input_shape=(h, w),
                scale_factor=(1.0, 1.0))
    torch.manual_seed(0)
    pair = torch.randn(1, 6, h, w)

    teacher = build('dcrl_vgg16_1xb2-100e_kaist.py')
    student = build('dcrd-student_vgg16_1xb2-150e_kaist-rgb.py')

    def run(model: torch.nn.Module, inputs: torch.Tensor) -> Callable[[], object]:
        def call():
            with torch.no_grad():
                return model.predict(inputs, [DetDataSample(metainfo=meta)])
        return call

    t_times = time_fn(run(teacher, pair), args.runs)
    s_times = time_fn(run(student, pair[:, :3].contiguous()), args.runs)
    t_med = sorted(t_times)[len(t_times) // 2]
    s_med = sorted(s_times)[len(s_times) // 2]
    print(f'input {w}x{h}, {args.threads} thread(s), {args.runs} runs (median)')
    print(f'teacher (two-stream DCRL-PDN): {t_med:.3f} s/frame')
    print(f'student (RGB DCRD-PDN):        {s_med:.3f} s/frame')
    print(f'ratio student / teacher: {s_med / t_med:.2f} (paper, GPU: 0.128 / 0.175 = 0.73)')


if __name__ == '__main__':
    main()
