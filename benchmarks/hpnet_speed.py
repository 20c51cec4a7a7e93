# Copyright (c) mmped contributors. All rights reserved.
"""Parameters and CPU inference time of the M-net vs the complete HP-net at 299 x 299.

Both come from the same PA-100K config: the M-net is the stage-1 model (BN-Inception trunk,
GAP + FC), the HP-net the stage-3 model (M-net + AF-net with three MDA modules x three
attended blocks, L = 8, GAP + FC on the concatenation). They are timed in the same process on
the same random batch; parameters are counted over the modules each one runs at inference.
Prints the HP-net / M-net ratios.

    OMP_NUM_THREADS=1 python benchmarks/hpnet_speed.py --repeat 3 --threads 1
"""
import argparse
import time
from typing import Iterable

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmped.registry import MODELS
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules

CONFIG = REPO_ROOT / 'configs' / 'hpnet' / 'hpnet-stage3_bninception_1xb32-5e_pa100k.py'


def _count(modules: Iterable[torch.nn.Module]) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def _time(model: torch.nn.Module, x: torch.Tensor, warmup: int, repeat: int) -> float:
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        start = time.perf_counter()
        for _ in range(repeat):
            model(x)
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', type=int, default=299)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--num-att-channels', type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.num_att_channels = args.num_att_channels
    with DefaultScope.overwrite_default_scope('mmped'):
        torch.manual_seed(0)
        hpnet = MODELS.build(cfg.model).eval()
    # the M-net is the stage-1 view of the same weights
    mnet_params = _count([hpnet.backbone, hpnet.mnet_head])
    hp_params = _count([hpnet.backbone, hpnet.af_net, hpnet.head])
    x = torch.randn(args.batch, 3, args.size, args.size)

    hpnet.set_stage(1)
    hpnet.eval()
    t_mnet = _time(hpnet, x, args.warmup, args.repeat)
    hpnet.set_stage(3)
    hpnet.eval()
    t_hp = _time(hpnet, x, args.warmup, args.repeat)

    print(f'input {args.batch} x 3 x {args.size} x {args.size}, {args.threads} thread(s), '
          f'L = {args.num_att_channels}, mean of {args.repeat} runs')
    print(f'{"model":<8}{"params (M)":>12}{"time (s)":>12}')
    print(f'{"M-net":<8}{mnet_params / 1e6:>12.2f}{t_mnet:>12.3f}')
    print(f'{"HP-net":<8}{hp_params / 1e6:>12.2f}{t_hp:>12.3f}')
    print(f'ratio HP-net / M-net: params x{hp_params / mnet_params:.2f}, '
          f'time x{t_hp / t_mnet:.2f}')


if __name__ == '__main__':
    main()
