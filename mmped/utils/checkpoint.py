# Copyright (c) mmped contributors. All rights reserved.
"""Checkpoint loading that works with torch >= 2.6.

torch 2.6 made ``torch.load(weights_only=True)`` the default. mmengine 0.10.7 calls
``torch.load`` without the flag, so a Runner checkpoint (which stores ``HistoryBuffer`` objects,
numpy scalars and the config in ``message_hub`` / ``meta``) no longer loads and ``--resume``
fails. :func:`patch_checkpoint_loader` re-registers mmengine's loader for local paths (the
scheme with the empty prefix) so that it unpickles with ``weights_only=False``.

Only local files are affected: they are the user's own checkpoints (written by their Runner or
given by path in their config), the same trust the pre-2.6 default gave them. Remote schemes
(``http://``, ``s3://``...) keep mmengine's behaviour.
"""
import os.path as osp
from typing import Any, Optional, Union

import torch
from mmengine.runner.checkpoint import CheckpointLoader

_PATCHED = False


def load_local_checkpoint(filename: str,
                          map_location: Optional[Union[str, torch.device]] = None) -> Any:
    """Load a local checkpoint file, including the non-tensor objects of a Runner checkpoint.

    Args:
        filename (str): Path of the checkpoint file (``~`` is expanded).
        map_location (str | torch.device, optional): Same as :func:`torch.load`.

    Returns:
        dict | OrderedDict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def patch_checkpoint_loader() -> None:
    """Make mmengine load local checkpoints with ``weights_only=False`` (idempotent)."""
    global _PATCHED
    if _PATCHED:
        return
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    _PATCHED = True
