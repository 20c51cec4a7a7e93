# Copyright (c) mmped contributors. All rights reserved.
"""Mixed-precision training on any device: mmengine's fp16 wrapper on CUDA, bfloat16 on CPU."""
import importlib
import types
from contextlib import ExitStack, contextmanager
from typing import Callable, Iterator, Optional, Union

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn

from mmped.registry import OPTIM_WRAPPERS

# mmcv's CPU kernels of these ops take float32 / float64 only; mmdet looks them up through these
# module attributes at call time (``NMSop.apply`` inside ``mmcv.ops.nms``, ``roi_align`` /
# ``roi_pool`` inside the RoIAlign / RoIPool modules)
FLOAT32_MMCV_OPS = (('mmcv.ops.nms', 'NMSop'), ('mmcv.ops.roi_align', 'roi_align'),
                    ('mmcv.ops.roi_pool', 'roi_pool'))


def _with_float32_inputs(fn: Callable) -> Callable:
    """``fn`` with reduced-precision tensor arguments cast to float32, autocast off."""

    def wrapped(*args, **kwargs):
        args = tuple(a.float() if torch.is_tensor(a) and a.dtype in (torch.bfloat16, torch.float16)
                     else a for a in args)
        with torch.autocast('cpu', enabled=False):
            return fn(*args, **kwargs)

    return wrapped


@contextmanager
def float32_mmcv_ops() -> Iterator[None]:
    """Run the mmcv ops of :data:`FLOAT32_MMCV_OPS` in float32 while the context is open."""
    with ExitStack() as stack:
        for module_name, attr in FLOAT32_MMCV_OPS:
            module = importlib.import_module(module_name)
            original = getattr(module, attr)
            patched = (types.SimpleNamespace(apply=_with_float32_inputs(original.apply))
                       if isinstance(original, type) else _with_float32_inputs(original))
            setattr(module, attr, patched)
            stack.callback(setattr, module, attr, original)
        yield


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Autocast the forward pass and the loss to ``dtype`` on the CPU.

    mmengine's :class:`~mmengine.optim.AmpOptimWrapper` refuses to build without an
    accelerator. bfloat16 has float32's exponent range, so no loss scaling is needed and the
    backward pass and the optimizer step run as in :class:`~mmengine.optim.OptimWrapper`;
    parameters, gradients and optimizer state stay float32. Operations on PyTorch's autocast
    float32 list (losses, softmax, normalisations) run in float32; mmped's own losses and
    normalisation layers cast to float32 themselves, and the mmcv ops whose CPU kernels have no
    reduced-precision version (NMS, RoIAlign, RoIPool) get float32 inputs
    (:func:`float32_mmcv_ops`).

    Args:
        dtype (str | torch.dtype): ``'bfloat16'`` (default) or ``'float16'``.
        **kwargs: Arguments of :class:`~mmengine.optim.OptimWrapper` (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs) -> None:
        super().__init__(**kwargs)
        dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
        if dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(f'CPU autocast supports bfloat16 and float16, got {dtype}')
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Gradient-accumulation context of the parent, plus CPU autocast."""
        with super().optim_context(model), float32_mmcv_ops(), \
                torch.autocast('cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper_cfg(optim_wrapper: dict, cuda: Optional[bool] = None) -> dict:
    """The ``optim_wrapper`` config that ``--amp`` turns a plain one into.

    On CUDA: mmengine's :class:`~mmengine.optim.AmpOptimWrapper` (float16, dynamic loss
    scale); elsewhere :class:`CPUAmpOptimWrapper` (bfloat16).

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper`` (type ``OptimWrapper``).
        cuda (bool, optional): Whether CUDA is used; detected when None.

    Returns:
        dict: A new config dict; the input is not changed.
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    wrapper = dict(optim_wrapper)
    if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'mmengine.OptimWrapper'):
        raise ValueError('`--amp` is only supported when the optimizer wrapper type is '
                         f"`OptimWrapper`, but got {wrapper['type']}")
    if cuda:
        wrapper.update(type=f'mmengine.{AmpOptimWrapper.__name__}', loss_scale='dynamic')
    else:
        wrapper.update(type='mmped.CPUAmpOptimWrapper', dtype='bfloat16')
    return wrapper
