# Copyright (c) mmped contributors. All rights reserved.
"""Session-wide test settings and fixtures (reusable helpers live in :mod:`mmped.testing`)."""
import os
from pathlib import Path

import pytest

from mmped.testing import SHARED_DATA, make_tiny_coco
from mmped.testing._data import _ACCESSED, MISSING_SAMPLE, realdata_violation, reset_shared_access

if os.environ.get('PYTEST_XDIST_WORKER'):
    # pytest-xdist runs one worker per core: keep each worker on one thread
    import torch
    torch.set_num_threads(1)


@pytest.fixture
def shared_data() -> Path:
    """Root of the real dataset samples in ../shared/data; skips the test when absent."""
    _ACCESSED.append(SHARED_DATA)
    if not SHARED_DATA.is_dir():
        pytest.skip(f'{MISSING_SAMPLE}s not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    reset_shared_access()  # forget paths asked for outside this test (collection, teardown)
    item._mmped_shared_access = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Real-data discipline (issue 19): a test that reads ../shared/data must be marked
    ``realdata``, and a ``realdata`` test must not skip while ../shared/data is present (a
    missing sample or a wrong path would otherwise pass unnoticed). Set
    MMPED_ALLOW_REALDATA_SKIP=1 to allow such skips (e.g. on a partial copy of the data)."""
    outcome = yield
    report = outcome.get_result()
    if call.when == 'teardown':
        return
    accessed = getattr(item, '_mmped_shared_access', [])
    accessed.extend(reset_shared_access())  # by the test or its fixtures
    item._mmped_shared_access = accessed
    if report.failed:
        return
    reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
    error = realdata_violation(item.nodeid, accessed, item.get_closest_marker('realdata')
                               is not None, report.skipped, str(reason), SHARED_DATA.is_dir(),
                               bool(os.environ.get('MMPED_ALLOW_REALDATA_SKIP')))
    if error:
        report.outcome = 'failed'
        report.longrepr = error


@pytest.fixture
def tiny_coco(tmp_path: Path) -> Path:
    """A 4-image COCO-format pedestrian dataset in a temporary folder."""
    return make_tiny_coco(tmp_path / 'tiny_coco')
