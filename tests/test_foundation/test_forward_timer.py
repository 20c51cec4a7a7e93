# Copyright (c) mmped contributors. All rights reserved.
"""The per-submodule forward breakdown of benchmarks/train_throughput.py."""
import importlib.util

import torch
import torch.nn as nn

from mmped.testing import REPO_ROOT


def _bench():
    spec = importlib.util.spec_from_file_location(
        'mmped_train_throughput_timer', REPO_ROOT / 'benchmarks' / 'train_throughput.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recursive(nn.Module):
    """Calls its own child twice and itself once more (a nested call of an open module)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(2, 2)
        self.deep = nn.Sequential(nn.Sequential(nn.ReLU()))

    def forward(self, x: torch.Tensor, again: bool = True) -> torch.Tensor:
        x = self.deep(self.inner(self.inner(x)))
        return self(x, again=False) if again else x


def test_forward_timer_times_two_levels_and_counts_nested_calls_once():
    bench = _bench()
    model = nn.ModuleDict(dict(head=_Recursive(), unused=nn.Linear(2, 2)))
    timer = bench.ForwardTimer(model, 'cpu')
    model['head'](torch.ones(1, 2))
    # depth 1 and 2 only ('head.deep.0' is depth 3), modules never called are absent
    assert set(timer.seconds) == {'head', 'head.inner', 'head.deep'}
    assert all(sec > 0 for sec in timer.seconds.values())
    # the nested call of `head` is inside its first call: one interval, not two summed
    assert timer.seconds['head'] >= timer.seconds['head.inner']
    lines = timer.shares(total=timer.seconds['head'], top=2)
    assert len(lines) == 2 and lines[0].startswith('head: ') and lines[0].endswith('(100.0 %)')
    timer.remove()
    before = dict(timer.seconds)
    model['head'](torch.ones(1, 2))
    assert timer.seconds == before
