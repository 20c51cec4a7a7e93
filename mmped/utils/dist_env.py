# Copyright (c) mmped contributors. All rights reserved.
"""Multi-process training and testing on machines without CUDA (torchrun + gloo).

``tools/dist_train.sh`` / ``dist_test.sh`` start one process per device with torchrun and the
``pytorch`` launcher. mmengine 0.10.7 assumes CUDA there: ``init_dist('pytorch')`` calls
``torch.cuda.set_device(LOCAL_RANK)`` and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``;
both fail on a CPU-only machine. :func:`setup_cpu_distributed` initialises the process group
with gloo first (mmengine then skips ``init_dist``) and sets ``device_ids=None`` in the model
wrapper, which is how DDP runs CPU modules. With CUDA nothing changes.
"""
import logging
from typing import List

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a ``pytorch``-launcher run on a CPU-only machine (see the module docstring).

    Args:
        cfg (Config): The run's config (``launcher``, ``env_cfg``, ``model_wrapper_cfg``);
            ``model_wrapper_cfg`` is set in place.

    Returns:
        bool: Whether the CPU setup was applied.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend', 'gloo')
    if backend != 'gloo':
        print_log(f'no CUDA device: using the gloo backend instead of {backend}',
                  logger='current', level=logging.WARNING)
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')  # env:// from torchrun's variables
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


def exclude_replicated_buffers(model: nn.Module) -> List[str]:
    """Tell DDP not to broadcast buffers that every rank already updates identically.

    A submodule lists such buffers by name in a ``replicated_buffers`` attribute (the OIM
    lookup table and queue, updated from features gathered across ranks). Their fully
    qualified names are added to the model's DDP ignore list, so a wrapper built with
    ``broadcast_buffers=True`` still leaves them out of its per-iteration broadcast (and of
    the one at construction); other buffers are broadcast as configured.

    Args:
        model (nn.Module): The module DDP will wrap (call before wrapping).

    Returns:
        list[str]: The names excluded, sorted.
    """
    names = {f'{prefix}.{buf}' if prefix else buf
             for prefix, module in model.named_modules()
             for buf in getattr(module, 'replicated_buffers', ())}
    if names:
        names |= set(getattr(model, '_ddp_params_and_buffers_to_ignore', ()))
        DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
            model, sorted(names))
    return sorted(names)
