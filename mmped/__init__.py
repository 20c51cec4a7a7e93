# Copyright (c) mmped contributors. All rights reserved.
"""mmped: an OpenMMLab toolbox for pedestrian detection, attributes, re-ID and person search."""
import mmcv
import mmdet
import mmengine
from mmengine.utils import digit_version

from .utils.checkpoint import register_checkpoint_loaders
from .utils.fileio import register_atomic_local_backend
from .utils.setup_env import register_config_package
from .version import __version__, version_info

# (package, installed version, minimum inclusive, maximum exclusive)
_REQUIRED = (
    ('mmcv', mmcv.__version__, '2.0.0', '2.2.0'),
    ('mmengine', mmengine.__version__, '0.10.0', '1.0.0'),
    ('mmdet', mmdet.__version__, '3.3.0', '3.4.0'),
)


def _check_versions() -> None:
    """Fail early, with the fix in the message, on an incompatible OpenMMLab stack."""
    for name, installed, low, high in _REQUIRED:
        if not digit_version(low) <= digit_version(installed) < digit_version(high):
            raise ImportError(
                f'mmped {__version__} needs {name}>={low},<{high}, but {name}=={installed} is '
                f'installed. Run `bash tools/install_env.sh` for the tested environment, or '
                f'`pip install "{name}>={low},<{high}"` '
                f'(mmcv: `mim install "mmcv>={low},<{high}"`).')


_check_versions()
register_checkpoint_loaders()
register_atomic_local_backend()
register_config_package()

__all__ = ['__version__', 'version_info']
