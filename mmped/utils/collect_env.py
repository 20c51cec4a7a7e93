# Copyright (c) mmped contributors. All rights reserved.
"""Print the versions of the stack mmped runs on.

Usage: ``python -m mmped.utils.collect_env`` or ``mim run mmped collect_env``.
"""
import importlib
import platform
import sys
from collections import OrderedDict


def _version(module: str) -> str:
    try:
        return importlib.import_module(module).__version__
    except Exception as e:  # report, never crash: this is what users paste into bug reports
        return f'not importable ({type(e).__name__}: {e})'


def _mmcv_ops() -> str:
    try:
        from mmcv.ops import nms  # noqa: F401
        from mmcv.utils import ext_loader
        ext_loader.load_ext('_ext', ['nms'])
        return 'yes'
    except Exception as e:
        return f'no ({type(e).__name__}: {e})'


def collect_env() -> 'OrderedDict[str, str]':
    """Collect the versions of Python, the OpenMMLab stack, numpy, and the GPU status.

    Returns:
        OrderedDict[str, str]: Name -> version (or status) strings.
    """
    env = OrderedDict()
    env['sys.platform'] = sys.platform
    env['Python'] = sys.version.replace('\n', '')
    env['machine'] = platform.machine()
    for name, module in (('PyTorch', 'torch'), ('TorchVision', 'torchvision'),
                         ('MMCV', 'mmcv'), ('MMEngine', 'mmengine'), ('MMDetection', 'mmdet'),
                         ('MMPretrain', 'mmpretrain'), ('mmped', 'mmped'), ('NumPy', 'numpy'),
                         ('SciPy', 'scipy'), ('OpenCV', 'cv2')):
        env[name] = _version(module)
    env['MMCV ops'] = _mmcv_ops()
    try:
        import torch
        env['CUDA available'] = str(torch.cuda.is_available())
        if torch.cuda.is_available():
            env['GPU'] = ', '.join(
                torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
            env['torch CUDA'] = str(torch.version.cuda)
    except Exception as e:
        env['CUDA available'] = f'unknown ({e})'
    return env


def main() -> int:
    env = collect_env()
    for name, value in env.items():
        print(f'{name}: {value}')
    broken = [k for k, v in env.items() if v.startswith(('not importable', 'no ('))]
    return 1 if broken else 0


if __name__ == '__main__':
    sys.exit(main())
