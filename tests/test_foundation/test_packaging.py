# Copyright (c) mmped contributors. All rights reserved.
"""A regular (non-editable) install must carry what `mim train/test/run mmped` looks for."""
import shutil
import subprocess
import sys
import zipfile

from mmped.testing import REPO_ROOT

SKIP = shutil.ignore_patterns('.venv', '.git', '.mim', 'work_dirs', 'demo_out', '__pycache__',
                              '*.egg-info', 'build', 'dist', '.pytest_cache', '.ruff_cache')


def test_wheel_contains_mim_folder(tmp_path):
    # build from a copy: a build in place would replace the editable install's .mim symlinks
    src = tmp_path / 'src'
    shutil.copytree(REPO_ROOT, src, ignore=SKIP)
    out = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
         '-w', str(tmp_path / 'dist'), str(src)],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    wheel, = (tmp_path / 'dist').glob('mmped-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ('mmped/.mim/tools/train.py', 'mmped/.mim/tools/test.py',
                     'mmped/.mim/tools/misc/collect_env.py',
                     'mmped/.mim/configs/_base_/default_runtime.py',
                     'mmped/.mim/requirements/mminstall.txt', 'mmped/registry.py'):
        assert required in names, required
    assert not any(name.startswith('tests/') for name in names)
