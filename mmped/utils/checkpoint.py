# Copyright (c) mmped contributors. All rights reserved.
"""Checkpoint loading for torch >= 2.6 without unpickling arbitrary objects, and pretrained
ImageNet weights that also resolve offline.

torch 2.6 made ``torch.load(weights_only=True)`` the default. A Runner checkpoint of mmengine
0.10.7 stores a few non-tensor objects (``HistoryBuffer`` in the message hub, numpy arrays and
scalars, ``collections.Counter`` in multi-step schedulers), so mmengine's own loader fails on
``--resume``. Instead of turning the restriction off, :func:`register_checkpoint_loaders`
re-registers mmengine's loaders so that every file is read with ``weights_only=True`` while
exactly those types are allowed (:func:`checkpoint_safe_globals`), inside the call only
(``torch.serialization.safe_globals``): nothing changes for other ``torch.load`` calls of the
process. A file that pickles anything else is refused with :class:`UnsafeCheckpointError`,
which names ``tools/model_converters/upgrade_checkpoint.py`` to rewrite a trusted old file.

Pretrained weights named by URL (``http(s)://``), by ``torchvision://NAME`` or by
``open-mmlab://NAME`` are looked up, in this order, in every folder of ``$MMPED_CHECKPOINTS``
(``os.pathsep``-separated), in torch's hub cache ``$TORCH_HOME/hub/checkpoints`` (where torch,
mmengine and mmped save what they download; ``~/.cache/torch/hub/checkpoints`` by default),
and are downloaded there otherwise (with the hash prefix of the file name checked). A machine
without network access puts the files, under their published names, into one of those folders;
``MMPED_OFFLINE=1`` forbids the download attempt (mmped's tests set it).
"""
import os
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Optional, Union
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

MapLocation = Optional[Union[str, torch.device, Callable]]

UPGRADE_TOOL = 'tools/model_converters/upgrade_checkpoint.py'
_HASH_PREFIX = re.compile(r'-([a-f0-9]{8,})\.')
_REGISTERED = False


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint pickles objects outside :func:`checkpoint_safe_globals`."""


class PretrainedWeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are neither in a local folder nor downloadable."""


def checkpoint_safe_globals() -> List[Any]:
    """The classes and functions an mmengine checkpoint may pickle besides tensors.

    Found by saving and resuming every kind of run mmped configs make (SGD / Adam, step /
    multi-step / linear warm-up schedulers, ``save_best``, AMP, person-search buffers): the
    message hub's ``HistoryBuffer`` (with numpy arrays and scalars inside, and its statistics
    methods through a restricted ``getattr``), numpy arrays, scalars and dtypes in the runtime
    info (e.g. a metric's ``best_score``), and plain containers.
    ``collections.OrderedDict`` / ``Counter``, ``set`` and torch types are allowed by torch
    itself.

    Returns:
        list: Objects for ``torch.serialization.safe_globals``.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    dtype_classes = [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
        'float16', 'float32', 'float64', 'longdouble', 'complex64', 'complex128', 'str', 'bytes',
        'object')]
    return [HistoryBuffer, np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar,
            *dtype_classes, (_history_buffer_getattr, 'builtins.getattr')]


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` as a checkpoint may use it: only ``HistoryBuffer``'s statistics methods.

    ``HistoryBuffer`` pickles its table of statistics methods as ``getattr(HistoryBuffer,
    'mean')`` and so on. Allowing the real ``getattr`` would let a crafted file reach any
    attribute of any allowed object, so the unpickler gets this function in its place.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    if obj is HistoryBuffer and callable(getattr(HistoryBuffer, name, None)) \
            and not name.startswith('_'):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint (only the statistics '
        'methods of mmengine\'s HistoryBuffer are)')


def _unsafe_globals(filename: str) -> List[str]:
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # not a zip checkpoint: the unpickler's message is all we have
        return []


def load_from_local(filename: Union[str, os.PathLike],
                         map_location: MapLocation = None) -> Any:
    """Load a checkpoint file with ``weights_only=True`` and mmengine's run-state types.

    Args:
        filename (str | PathLike): Path of the checkpoint (``~`` is expanded).
        map_location (str | torch.device | callable, optional): As in :func:`torch.load`.

    Returns:
        dict | OrderedDict: The checkpoint.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: The file pickles other objects (an old full-pickle checkpoint
            or a crafted file); the message names them and the conversion tool.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        unsafe = _unsafe_globals(filename) or [str(e).splitlines()[0]]
        raise UnsafeCheckpointError(
            f'{filename} is not a weights-only checkpoint: it pickles {", ".join(unsafe)}, which '
            'mmped does not unpickle (unpickling runs arbitrary code). If you trust the file, '
            f'rewrite it once with `python {UPGRADE_TOOL} --trust {filename} OUT.pth` '
            '(or `mim run mmped upgrade_checkpoint --trust ...`) and use OUT.pth.') from e


def pretrained_url(name: str) -> str:
    """The download URL behind a pretrained-weights name, without downloading.

    Args:
        name (str): ``torchvision://NAME`` (``modelzoo://NAME``), ``open-mmlab://NAME``
            (``openmmlab://NAME``) or an ``http(s)://`` URL.

    Returns:
        str: The ``http(s)://`` URL (or, for an open-mmlab name mapped to a file under
        mmengine's home, that local path).
    """
    if name.startswith(('torchvision://', 'modelzoo://')):
        return mmengine_checkpoint.get_torchvision_models()[name.split('://', 1)[1]]
    if name.startswith(('open-mmlab://', 'openmmlab://')):
        model_name = name.split('://', 1)[1]
        model_name = mmengine_checkpoint.get_deprecated_model_names().get(model_name, model_name)
        url = mmengine_checkpoint.get_external_models()[model_name]
        if url.startswith(('http://', 'https://')):
            return url
        return osp.join(mmengine_checkpoint._get_mmengine_home(), url)
    if name.startswith(('http://', 'https://')):
        return name
    raise ValueError(f'{name} is not a torchvision://, open-mmlab:// or http(s):// name')


def pretrained_search_dirs() -> List[str]:
    """Folders searched for pretrained files: ``$MMPED_CHECKPOINTS``, then torch's hub cache."""
    dirs = [d for d in os.environ.get('MMPED_CHECKPOINTS', '').split(os.pathsep) if d]
    return [osp.expanduser(d) for d in dirs] + [osp.join(torch.hub.get_dir(), 'checkpoints')]


def find_pretrained_file(url: str, download: bool = True, progress: bool = False) -> str:
    """Local path of the file behind ``url``, downloading it into torch's hub cache if needed.

    Args:
        url (str): ``http(s)://`` URL; its last path component is the file name looked up.
        download (bool): Download when no local copy exists (never with ``MMPED_OFFLINE``
            set to anything but ``0``). Defaults to True.
        progress (bool): Show a download progress bar. Defaults to False.

    Returns:
        str: Path of the local file.

    Raises:
        PretrainedWeightsNotFoundError: No local copy and the download failed (or was not
            allowed); the message names the file, the URL and the folders searched.
    """
    file_name = osp.basename(urlparse(url).path)
    dirs = pretrained_search_dirs()
    for folder in dirs:
        path = osp.join(folder, file_name)
        if osp.isfile(path):
            return path
    target = osp.join(dirs[-1], file_name)
    error = 'download disabled'
    if os.environ.get('MMPED_OFFLINE', '') not in ('', '0'):
        download, error = False, 'download disabled by MMPED_OFFLINE'
    if download:
        os.makedirs(dirs[-1], exist_ok=True)
        match = _HASH_PREFIX.search(file_name)
        try:
            print_log(f'downloading {url} to {target}', logger='current')
            torch.hub.download_url_to_file(
                url, target, hash_prefix=match.group(1) if match else None, progress=progress)
            return target
        except Exception as e:  # URLError, HTTPError, timeout, hash mismatch...
            error = f'{type(e).__name__}: {e}'
    raise PretrainedWeightsNotFoundError(
        f'pretrained weights {file_name} not found and not downloadable from {url} ({error}). '
        f'Searched: {", ".join(dirs)}. Without network access, download {url} on another '
        f'machine and put {file_name} into a folder named by MMPED_CHECKPOINTS '
        f'(e.g. `export MMPED_CHECKPOINTS=/data/weights`) or into {dirs[-1]}; or set the '
        "config's init_cfg checkpoint to a local path (or init_cfg=None to train from scratch).")


def load_from_http(url: str, map_location: MapLocation = None) -> Any:
    """Load the weights-only checkpoint behind ``url`` (local copy first, rank 0 downloads).

    Args:
        url (str): ``http(s)://`` URL.
        map_location (str | torch.device | callable, optional): As in :func:`torch.load`.

    Returns:
        dict | OrderedDict: The checkpoint.
    """
    rank, world_size = get_dist_info()
    if rank == 0:
        path = find_pretrained_file(url, progress=os.isatty(2))
    if world_size > 1:
        barrier()
        if rank > 0:
            path = find_pretrained_file(url, download=False)
    return load_from_local(path, map_location)


def load_from_model_zoo(name: str, map_location: MapLocation = None) -> Any:
    """Loader of the ``torchvision://`` and ``open-mmlab://`` schemes."""
    url = pretrained_url(name)
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(url, map_location)


def load_from_mmcls(name: str, map_location: MapLocation = None) -> Any:
    """Loader of the ``mmcls://`` scheme (mmengine's key processing, safe loading)."""
    url = mmengine_checkpoint.get_mmcls_models()[name[len('mmcls://'):]]
    return mmengine_checkpoint._process_mmcls_checkpoint(load_from_http(url, map_location))


def register_checkpoint_loaders() -> None:
    """Make mmengine load local files, URLs and named weights as described above (idempotent).

    Called by ``import mmped``.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=load_from_http, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('torchvision://', 'modelzoo://', 'open-mmlab://', 'openmmlab://'),
        loader=load_from_model_zoo, force=True)
    CheckpointLoader.register_scheme(prefixes='mmcls://', loader=load_from_mmcls, force=True)
    _REGISTERED = True
