# Copyright (c) mmped contributors. All rights reserved.
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    env = dict(os.environ)
    # keep subprocesses light on the 2-core CI machine
    env.setdefault('OMP_NUM_THREADS', '1')
    env.setdefault('MKL_NUM_THREADS', '1')
    # let subprocesses cache compiled modules: every mim call imports torch + mmdet + mmped
    env.pop('PYTHONDONTWRITEBYTECODE', None)
    return env


def _run(cmd: List[str], cwd: Optional[Path], timeout: int) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, cwd=str(cwd or REPO_ROOT), env=_env(), capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f'command failed ({out.returncode}): {" ".join(cmd)}\n'
                             f'--- stdout ---\n{out.stdout[-4000:]}\n'
                             f'--- stderr ---\n{out.stderr[-6000:]}')
    return out


def run_mim(args: Sequence[str], cwd: Optional[Path] = None,
            timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``mim ARGS`` (e.g. ``['train', 'mmped', cfg, '--work-dir', d]``) and check it passed.

    mim is called through the current interpreter, so the test uses the same environment.

    Returns:
        subprocess.CompletedProcess: The finished process (stdout / stderr as text).
    """
    cmd = [sys.executable, '-c', 'import sys; from mim.cli import cli; sys.exit(cli())',
           *map(str, args)]
    return _run(cmd, cwd, timeout)


def run_tool(script: str, args: Sequence[str], cwd: Optional[Path] = None,
             timeout: int = 600) -> subprocess.CompletedProcess:
    """Run ``python <repo>/<script> ARGS`` and check it passed."""
    return _run([sys.executable, str(REPO_ROOT / script), *map(str, args)], cwd, timeout)
