# Copyright (c) mmped contributors. All rights reserved.
"""Rewrite a trusted full-pickle checkpoint so that it loads with ``weights_only=True``.

mmped reads checkpoints with ``torch.load(weights_only=True)`` and allows only the few types
mmengine's run state needs (``mmped.utils.checkpoint_safe_globals``). Checkpoints written by
other code may pickle anything (an ``argparse.Namespace`` of training arguments, a config
object, a whole ``nn.Module``); mmped refuses them and names this tool. This tool unpickles the
file without restrictions, which runs whatever code the file contains: use it only on files
whose origin you trust (hence the mandatory ``--trust``). It writes a new file:

- modules become their ``state_dict()``; mappings and namespaces become dicts; lists, tuples,
  sets, tensors, numbers, strings and numpy arrays / scalars are kept;
- any other object becomes its ``repr()`` string, and its place in the checkpoint is printed.

The output is written atomically, never over an existing file, and read back with mmped's
loader before the tool reports success.

Usage::

    python tools/model_converters/upgrade_checkpoint.py --trust OLD.pth NEW.pth
    mim run mmped upgrade_checkpoint --trust OLD.pth NEW.pth
"""
import argparse
import io
import os.path as osp
import sys
from argparse import Namespace
from collections.abc import Mapping
from typing import Any, List

import numpy as np
import torch
import torch.nn as nn

from mmped.utils import load_from_local, write_bytes_atomic


def to_weights_only(obj: Any, path: str, replaced: List[str]) -> Any:
    """Return ``obj`` built only from types a weights-only load accepts.

    Args:
        obj: Any unpickled object.
        path (str): Where ``obj`` sits in the checkpoint (for the report).
        replaced (list[str]): Receives ``path: type`` of every object turned into a string.

    Returns:
        The converted object.
    """
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, torch.Tensor,
                                       torch.Size, torch.dtype, torch.device, np.ndarray,
                                       np.generic)):
        return obj
    if isinstance(obj, nn.Module):
        return to_weights_only(obj.state_dict(), path, replaced)
    if isinstance(obj, Namespace):
        obj = vars(obj)
    if isinstance(obj, Mapping):
        return {key: to_weights_only(value, f'{path}.{key}', replaced)
                for key, value in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        items = [to_weights_only(v, f'{path}[{i}]', replaced) for i, v in enumerate(obj)]
        return type(obj)(items) if type(obj) in (list, tuple, set) else items
    replaced.append(f'{path}: {type(obj).__module__}.{type(obj).__qualname__}')
    return repr(obj)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Rewrite a trusted checkpoint so that it loads with weights_only=True')
    parser.add_argument('src', help='checkpoint to rewrite (unpickled without restrictions)')
    parser.add_argument('out', help='new checkpoint (must not exist)')
    parser.add_argument('--trust', action='store_true',
                        help='confirm that SRC comes from a source you trust: unpickling it runs '
                        'any code it contains')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not args.trust:
        print('refusing to unpickle without --trust: loading a full-pickle checkpoint runs '
              'whatever code it contains', file=sys.stderr)
        return 2
    if not osp.isfile(args.src):
        print(f'{args.src} is not a file', file=sys.stderr)
        return 2
    if osp.lexists(args.out):
        print(f'{args.out} exists: choose a new output path (nothing is overwritten)',
              file=sys.stderr)
        return 2
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=False)
    replaced: List[str] = []
    converted = to_weights_only(checkpoint, 'checkpoint', replaced)
    buffer = io.BytesIO()
    torch.save(converted, buffer)
    write_bytes_atomic(args.out, buffer.getvalue())
    load_from_local(args.out, map_location='cpu')
    for item in replaced:
        print(f'replaced by its repr(): {item}')
    print(f'wrote {args.out} (loads with weights_only=True)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
