# Copyright (c) mmped contributors. All rights reserved.
"""A regular (wheel) install carries what `mim train/test/run mmped` looks for, and works."""
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from mmped.testing import REPO_ROOT

from .test_user_path import make_demo_data, train_and_test_demo

SKIP = shutil.ignore_patterns('.venv', '.git', '.mim', 'work_dirs', 'demo_out', '__pycache__',
                              '*.egg-info', 'build', 'dist', '.pytest_cache', '.ruff_cache')


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900,
                         **kwargs)
    assert out.returncode == 0, f'{cmd}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}'
    return out


@pytest.fixture(scope='module')
def wheel(tmp_path_factory) -> Path:
    # build from a copy: a build in place would replace the editable install's .mim symlinks
    tmp = tmp_path_factory.mktemp('wheel')
    src = tmp / 'src'
    shutil.copytree(REPO_ROOT, src, ignore=SKIP)
    _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q',
          '-w', tmp / 'dist', src])
    built, = (tmp / 'dist').glob('mmped-*.whl')
    return built


def test_wheel_contains_mim_folder(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ('mmped/.mim/tools/train.py', 'mmped/.mim/tools/test.py',
                     'mmped/.mim/tools/misc/collect_env.py',
                     'mmped/.mim/tools/model_converters/upgrade_checkpoint.py',
                     'mmped/.mim/configs/_base_/default_runtime.py',
                     'mmped/.mim/configs/gdfl/gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py',
                     'mmped/.mim/requirements/mminstall.txt', 'mmped/registry.py'):
        assert required in names, required
    assert not any(name.startswith('tests/') for name in names)


@pytest.mark.slow
def test_mim_train_and_test_in_a_wheel_install(wheel, tmp_path):
    """``pip install mmped-*.whl`` into a new environment, then the README's mim commands.

    The scratch environment reuses the installed stack (torch, mmdet...) through a ``.pth``
    file, so only mmped itself (the wheel) and openmim's script are installed into it.
    """
    venv = tmp_path / 'venv'
    _run([sys.executable, '-m', 'venv', '--without-pip', venv])
    python = venv / 'bin' / 'python'
    scratch_site = Path(_run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()['
                                            '"purelib"])']).stdout.strip())
    (scratch_site / '_mmped_test_stack.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    uv = Path(sys.executable).parent / 'uv'
    _run([uv, 'pip', 'install', '--python', python, '--no-deps', wheel, 'openmim==0.3.9'])

    user_dir = tmp_path / 'user'
    user_dir.mkdir()
    where = _run([python, '-c', 'import mmped; print(mmped.__file__)'], cwd=user_dir)
    assert Path(where.stdout.strip()).parent == scratch_site / 'mmped'
    make_demo_data(user_dir, python=python)
    log = train_and_test_demo(user_dir, python=python)
    assert 'pedestrian/Reasonable' in log
    # mim ran the wheel's copies of tools/train.py and tools/test.py, not the checkout's
    for tool in ('train.py', 'test.py'):
        assert str(scratch_site / 'mmped' / '.mim' / 'tools' / tool) in log
