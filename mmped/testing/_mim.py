# Copyright (c) mmped contributors. All rights reserved.
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Union

REPO_ROOT = Path(__file__).resolve().parents[2]
PathLike = Union[str, os.PathLike]


def _env() -> dict:
    env = dict(os.environ)
    # keep subprocesses light on the 2-core CI machine
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MKL_NUM_THREADS', '1')
    # let subprocesses cache compiled modules: every mim call imports torch + mmdet + mmped
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    # the installed package is what is under test, never a checkout put on the path
    env.pop('PYTHONPATH', None)
    return env


def _run(cmd: List[str], cwd: PathLike, timeout: int) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=str(cwd), env=_env(), capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f'command failed ({out.returncode}) in {cwd}: {" ".join(cmd)}\n'
                             f'--- stdout ---\n{out.stdout[-4000:]}\n'
                             f'--- stderr ---\n{out.stderr[-6000:]}')
    return out


def mim_executable(python: PathLike = sys.executable) -> Path:
    """The ``mim`` console script of the environment that ``python`` belongs to."""
    mim = Path(python).parent / 'mim'
    if not mim.is_file():
        raise FileNotFoundError(f'{mim} not found: install openmim into this environment '
                                '(bash tools/install_env.sh does)')
    return mim


def run_mim(args: Sequence[PathLike], cwd: Optional[PathLike] = None, timeout: int = 600,
            python: PathLike = sys.executable) -> subprocess.CompletedProcess:
    """Run the environment's own ``mim ARGS`` as a user does, and check that it passed.

    The ``mim`` executable of the environment (``<venv>/bin/mim``) runs in ``cwd`` (by default
    a temporary folder, removed afterwards), never inside the checkout, and without
    ``PYTHONPATH``: mim must find mmped's tools and configs through the installed package.
    Configs may be given by path or, as mim allows, by file name alone.

    Args:
        args (Sequence[str | PathLike]): Arguments, e.g. ``['train', 'mmped', cfg, ...]``.
        cwd (str | PathLike, optional): Working directory; must lie outside the checkout.
        timeout (int): Seconds before the command is killed. Defaults to 600.
        python (str | PathLike): Interpreter of the environment whose ``mim`` runs. Defaults to
            the current one.

    Returns:
        subprocess.CompletedProcess: The finished process (stdout / stderr as text).
    """
    cmd = [str(mim_executable(python)), *map(str, args)]
    if cwd is None:
        with tempfile.TemporaryDirectory(prefix='mmped-user-') as tmp:
            return _run(cmd, tmp, timeout)
    resolved = Path(cwd).resolve()
    if resolved == REPO_ROOT or REPO_ROOT in resolved.parents:
        raise ValueError(f'run_mim runs outside the checkout; {cwd} is inside {REPO_ROOT}')
    return _run(cmd, cwd, timeout)


def run_tool(script: str, args: Sequence[PathLike], cwd: Optional[PathLike] = None,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python <repo>/<script> ARGS`` (a developer's command) and check it passed.

    Args:
        script (str): Script path relative to the checkout, e.g. ``'tools/train.py'``.
        args (Sequence[str | PathLike]): Its arguments.
        cwd (str | PathLike, optional): Working directory. Defaults to the checkout.
        timeout (int): Seconds before the command is killed. Defaults to 600.

    Returns:
        subprocess.CompletedProcess: The finished process (stdout / stderr as text).
    """
    return _run([sys.executable, str(REPO_ROOT / script), *map(str, args)], cwd or REPO_ROOT,
                timeout)
