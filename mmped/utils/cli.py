# Copyright (c) mmped contributors. All rights reserved.
"""Command-line arguments shared by the demos and the analysis tools."""
import argparse

from mmengine.config import DictAction


def add_model_args(parser: argparse.ArgumentParser, device: str = 'cpu') -> None:
    """Add ``--device`` and ``--cfg-options``, the arguments of every tool that builds a model.

    Args:
        parser (argparse.ArgumentParser): Parser of the tool.
        device (str): Default device. Defaults to ``'cpu'``.
    """
    parser.add_argument('--device', default=device, help='device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs as in tools/train.py')
