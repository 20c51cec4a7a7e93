# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
from typing import Optional

from mmengine.config import Config


def load_tool_config(config: str,
                     cfg_options: Optional[dict] = None,
                     work_dir: Optional[str] = None,
                     launcher: str = 'none') -> Config:
    """Load a config the way ``tools/train.py`` and ``tools/test.py`` do.

    Applies ``--cfg-options`` overrides and resolves the work dir with mmdet's priority:
    command line > config's ``work_dir`` > ``./work_dirs/<config file name>``.

    Args:
        config (str): Config file path.
        cfg_options (dict, optional): Dotted-key overrides (``--cfg-options``).
        work_dir (str, optional): ``--work-dir``.
        launcher (str): ``--launcher`` ('none', 'pytorch', 'slurm' or 'mpi').

    Returns:
        Config: The config, ready for ``Runner.from_cfg``.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
