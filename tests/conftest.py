# Copyright (c) mmped contributors. All rights reserved.
"""Session-wide test settings and fixtures (reusable helpers live in :mod:`mmped.testing`)."""
import os
from pathlib import Path

import pytest

from mmped.testing import SHARED_DATA, make_tiny_coco

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
