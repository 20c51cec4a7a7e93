# Copyright (c) mmped contributors. All rights reserved.
"""Every demo is reachable through ``mim run mmped <name>`` (tools/demo links to demo/)."""
import numpy as np
import pytest

from mmped.testing import REPO_ROOT, cfg_options_cli, run_mim

from .conftest import REID_MARKET

DEMOS = ('det_demo', 'rgbt_demo', 'attribute_demo', 'reid_feature_demo', 'person_search_demo',
         'gdfl_demo')


def test_every_demo_has_a_mim_entry():
    for name in DEMOS:
        link = REPO_ROOT / 'tools' / 'demo' / f'{name}.py'
        assert link.resolve() == (REPO_ROOT / 'demo' / f'{name}.py').resolve(), name


@pytest.mark.realdata
def test_mim_run_demo_help_and_real_export(real, tmp_path):
    # the links above make every demo reachable as this one is
    out = run_mim(['run', 'mmped', 'rgbt_demo', '--', '-h'], timeout=300)
    assert 'demo/rgbt_demo.py' in out.stdout and '--lwir' in out.stdout
    from .test_attr_reid_api import REID_TINY
    crops = real / 'market1501' / 'fastreid_test_data'
    run_mim(['run', 'mmped', 'reid_feature_demo', REID_MARKET, crops, '--out-dir',
             tmp_path / 'feats', *cfg_options_cli(REID_TINY)], timeout=300)
    assert np.load(tmp_path / 'feats' / 'features.npy').shape == (5, 512)
