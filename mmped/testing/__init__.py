# Copyright (c) mmped contributors. All rights reserved.
"""Helpers for mmped's own tests (and for downstream projects testing mmped components)."""
from ._cli import cfg_options_cli
from ._data import SHARED_DATA, make_tiny_coco, shared_file
from ._metrics import evaluate_dumped_results
from ._mim import REPO_ROOT, mim_executable, run_mim, run_tool

__all__ = [
    'SHARED_DATA', 'REPO_ROOT', 'shared_file', 'make_tiny_coco', 'run_mim', 'run_tool',
    'cfg_options_cli', 'mim_executable', 'evaluate_dumped_results'
]
