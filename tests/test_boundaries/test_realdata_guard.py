# Copyright (c) mmped contributors. All rights reserved.
"""The real-data rule of tests/conftest.py: unmarked readers and realdata skips fail."""
import pytest

from mmped.testing import SHARED_DATA, shared_file
from mmped.testing._data import realdata_violation, reset_shared_access


def test_unmarked_reader_fails_marked_reader_passes():
    err = realdata_violation('t::a', [SHARED_DATA / 'x'], False, False, '', True)
    assert err and 'not marked @pytest.mark.realdata' in err
    # even when the data is absent and the test skipped: the marker is still missing
    assert realdata_violation('t::a', [SHARED_DATA / 'x'], False, True, 'gone', False)
    assert realdata_violation('t::a', [SHARED_DATA / 'x'], True, False, '', True) is None
    assert realdata_violation('t::b', [], False, False, '', True) is None


def test_realdata_skip_fails_only_while_the_data_is_present():
    err = realdata_violation('t::a', [SHARED_DATA / 'x'], True, True, 'sample missing', True)
    assert err and 'skipped although' in err and 'sample missing' in err
    assert realdata_violation('t::a', [SHARED_DATA / 'x'], True, True, 'absent', False) is None
    assert realdata_violation('t::a', [], True, True, 'x', True, allow_skip=True) is None
    # a marked test that skips for another reason (e.g. no GPU) fails too while data is there
    assert realdata_violation('t::a', [], True, True, 'needs CUDA', True)


@pytest.mark.realdata
def test_shared_file_records_the_paths_it_is_asked_for():
    reset_shared_access()
    with pytest.raises(pytest.skip.Exception, match='real data sample'):
        shared_file('no_such_dataset_19', 'missing.json')
    assert reset_shared_access() == [SHARED_DATA / 'no_such_dataset_19' / 'missing.json']
    assert reset_shared_access() == []
