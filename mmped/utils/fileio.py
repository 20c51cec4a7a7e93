# Copyright (c) mmped contributors. All rights reserved.
"""Atomic local writes: a crash never leaves a truncated file under the final name.

mmengine's ``LocalBackend`` opens the destination and writes into it, so a process killed
while saving a checkpoint leaves a truncated ``epoch_N.pth`` that looks like a checkpoint.
:class:`AtomicLocalBackend` writes into a temporary file in the destination's folder, flushes
it to disk, then renames it over the destination (``os.replace`` is atomic on POSIX and
Windows). ``import mmped`` registers it as mmengine's backend for local paths, so checkpoints,
``last_checkpoint`` and dumped results saved through mmengine are all written this way.
"""
import os
import os.path as osp
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io

PathLike = Union[str, os.PathLike]


def _default_file_mode() -> int:
    """Permissions a plain ``open(path, 'w')`` would give a new file (0o666 minus the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_bytes_atomic(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed into place.

    The temporary file (``.<name>.<random>.part`` in the same folder) is flushed and synced
    before the rename and removed if anything fails, so ``path`` either keeps its old content or
    holds all of ``data``. The new file gets the permissions ``open()`` would give it.

    Args:
        path (str | PathLike): Destination; missing parent folders are created.
        data (bytes): Content.

    Returns:
        Path: ``path``.
    """
    path = Path(path)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f'.{path.name}.', suffix='.part')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    return path


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put`` / ``put_text``."""

    def put(self, obj: bytes, filepath: PathLike) -> None:
        """Write bytes to ``filepath`` atomically (see :func:`write_bytes_atomic`)."""
        write_bytes_atomic(filepath, obj)

    def put_text(self, obj: str, filepath: PathLike, encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (see :func:`write_bytes_atomic`)."""
        write_bytes_atomic(filepath, obj.encode(encoding))


def register_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend for paths without a scheme.

    Plain ``LocalBackend`` singletons that mmengine's module-level ``get`` / ``put`` cached
    before this call are dropped, so later writes through them are atomic too.
    """
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    cached = mmengine_io.backend_instances
    for key in [k for k, v in cached.items() if type(v) is LocalBackend]:
        del cached[key]
