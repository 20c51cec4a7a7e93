# Copyright (c) mmped contributors. All rights reserved.
"""Session-wide test settings and fixtures (reusable helpers live in :mod:`mmped.testing`)."""
import functools
import os
import os.path as osp
from pathlib import Path

import pytest

from mmped.testing import SHARED_DATA, make_tiny_coco

# No test downloads pretrained weights: mmped's loader refuses to (also in the subprocesses that
# mim / tool tests start, which inherit the variable), and the autouse fixture below makes any
# other download path of torch / mmengine raise.
os.environ['MMPED_OFFLINE'] = '1'



def _cache_external_config_lookups() -> None:
    """Memoise mmengine's per-``mmdet::`` / ``mmpretrain::`` base look-ups for the session.

    For every ``pkg::path`` base, mmengine 0.10 asks pkg_resources whether the package is
    installed and where, then parses every metafile of the package's model index (~100 yaml
    files for mmdet): 0.3-1.5 s per base, which the config tests pay hundreds of times. The
    answers cannot change during a test session, so they are computed once per package.
    """
    from mmengine.config import config as cfg_module
    from mmengine.config import utils as cfg_utils
    from mmengine.fileio import load

    @functools.lru_cache(maxsize=None)
    def metafile_index(package_path: str) -> dict:
        index: dict = {}
        meta_index = load(osp.join(package_path, '.mim', 'model-index.yml'))
        for meta_path in meta_index['Import']:
            for model_cfg in load(osp.join(package_path, '.mim', meta_path))['Models']:
                if 'Config' in model_cfg:
                    index.setdefault(model_cfg['Config'].partition('/')[-1], model_cfg)
        return index

    def cfg_metainfo(package_path: str, cfg_path: str) -> dict:
        index = metafile_index(package_path)
        if cfg_path not in index:
            raise ValueError(f'{cfg_path} is not a model config of {package_path}')
        return index[cfg_path]

    cfg_utils._get_cfg_metainfo = cfg_metainfo
    cfg_module.is_installed = functools.lru_cache(maxsize=None)(cfg_module.is_installed)
    cfg_module.get_installed_path = functools.lru_cache(maxsize=None)(
        cfg_module.get_installed_path)


_cache_external_config_lookups()

if os.environ.get('PYTEST_XDIST_WORKER'):
    # pytest-xdist runs one worker per core: keep each worker on one thread
    import torch
    torch.set_num_threads(1)


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """Root of the real dataset samples in ../shared/data; skips the test when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f'real data samples not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture
def tiny_coco(tmp_path: Path) -> Path:
    """A 4-image COCO-format pedestrian dataset in a temporary folder."""
    return make_tiny_coco(tmp_path / 'tiny_coco')


class NetworkAccessInTest(RuntimeError):
    """A test tried to download something."""


@pytest.fixture(scope='session', autouse=True)
def no_downloads():
    """Make torch.hub's and mmengine's download functions raise for the whole session.

    A test that needs to exercise a download path patches them itself (function-scoped
    monkeypatch, undone back to these blockers).
    """
    import torch.hub
    from mmengine.runner import checkpoint as mmengine_checkpoint

    def refuse(*args, **kwargs):
        raise NetworkAccessInTest(f'download attempted in a test: {args[:1]}')

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch.hub, 'download_url_to_file', refuse)
        mp.setattr(torch.hub, 'load_state_dict_from_url', refuse)
        mp.setattr(mmengine_checkpoint, 'load_url', refuse)
        yield
