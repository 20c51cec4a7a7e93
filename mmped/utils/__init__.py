# Copyright (c) mmped contributors. All rights reserved.
from .checkpoint import load_local_checkpoint, patch_checkpoint_loader
from .setup_env import register_all_modules
from .tool_cfg import load_tool_config

# ``collect_env`` is left out on purpose: it runs as ``python -m mmped.utils.collect_env``.
__all__ = [
    'register_all_modules', 'load_local_checkpoint', 'patch_checkpoint_loader', 'load_tool_config'
]
