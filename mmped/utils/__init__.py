# Copyright (c) mmped contributors. All rights reserved.
from .checkpoint import (
                         PretrainedWeightsNotFoundError,
                         UnsafeCheckpointError,
                         checkpoint_safe_globals,
                         find_pretrained_file,
                         load_from_local,
                         pretrained_url,
                         register_checkpoint_loaders,
)
from .fileio import AtomicLocalBackend, register_atomic_local_backend, write_bytes_atomic
from .setup_env import register_all_modules
from .tool_cfg import load_tool_config

# ``collect_env`` and ``editable_install`` are left out on purpose: they run as
# ``python -m mmped.utils.<name>``.
__all__ = [
    'register_all_modules', 'load_tool_config', 'checkpoint_safe_globals', 'load_from_local',
    'pretrained_url', 'find_pretrained_file', 'register_checkpoint_loaders',
    'UnsafeCheckpointError', 'PretrainedWeightsNotFoundError', 'AtomicLocalBackend',
    'register_atomic_local_backend', 'write_bytes_atomic'
]
