#!/usr/bin/env bash
# Create (or refresh) the mmped development environment in .venv (override with MMPED_VENV).
#
# Idempotent: when the environment exists, was made from the same requirement files and
# imports, it returns within seconds. Otherwise it installs, in this order,
#   1. uv (a fast installer that resolves torch/torchvision from the default package index,
#      unaffected by machine-wide pip settings that may point at a CPU-only torch wheel),
#   2. torch + torchvision together (requirements/torch.txt),
#   3. mmcv 2.1.0 with compiled ops: from a prebuilt wheel in $MMPED_WHEELS (default
#      ../shared/wheels) when one is there, otherwise built from source (~13 min on 2 cores),
#   4. the OpenMMLab stack, openmim, test tools and mmped itself in editable mode, with
#      site-packages/mmped linked to the checkout so that `mim train|test|run mmped` works from
#      any directory (python -m mmped.utils.editable_install),
# and ends with a check that every package imports together and that mim finds mmped's tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MMPED_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
WHEELS="${MMPED_WHEELS:-$ROOT/../shared/wheels}"
STAMP="$VENV/.mmped-env-stamp"
REQ="$ROOT/requirements"

log() { printf '[install_env] %s\n' "$*" >&2; }

fingerprint() {
    cat "$REQ"/*.txt "$ROOT/tools/install_env.sh" "$ROOT/setup.py" | sha256sum | cut -d' ' -f1
}

check_imports() {
    "$VENV/bin/python" - <<'PY'
import torch, torchvision  # noqa: F401  (must import together)
from torchvision.ops import nms  # noqa: F401
import mmcv
from mmcv.ops import nms as mmcv_nms  # noqa: F401  (compiled ops present)
import mmengine, mmdet, mmpretrain, mim  # noqa: F401
import mmped  # noqa: F401
PY
    # mim must find the tools and configs from any working directory (not only the checkout)
    (cd / && "$VENV/bin/python" -P - <<'PY'
import os.path as osp
from mim.utils import get_installed_path
root = get_installed_path('mmped')
assert osp.isfile(osp.join(root, '.mim', 'tools', 'train.py')), f'mim finds no tools in {root}'
PY
    )
}

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(fingerprint)" ]] && check_imports 2>/dev/null; then
    log "environment at $VENV is up to date"
    exit 0
fi

start=$(date +%s)
"$PYTHON" - <<'PY' || { log "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
import sys
sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)
PY

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [[ ! -x "$VENV/bin/uv" ]]; then
    log "installing uv"
    "$VENV/bin/python" -m pip install --quiet uv
fi
UV=("$VENV/bin/uv" pip install --python "$VENV/bin/python")

log "installing torch + torchvision and build requirements"
"${UV[@]}" -r "$REQ/torch.txt" -r "$REQ/build.txt"

if ! "$VENV/bin/python" -c 'import mmcv.ops' 2>/dev/null; then
    MMCV_WHEEL=$(ls "$WHEELS"/mmcv-2.1.0-*.whl 2>/dev/null | head -n 1 || true)
    if [[ -n "$MMCV_WHEEL" ]]; then
        log "installing mmcv from prebuilt wheel $MMCV_WHEEL"
        "${UV[@]}" "$MMCV_WHEEL"
    else
        log "building mmcv 2.1.0 with ops from source (takes ~13 minutes on 2 cores)"
        MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
            "${UV[@]}" --no-build-isolation mmcv==2.1.0
    fi
fi

log "installing the OpenMMLab stack, openmim and test tools"
"${UV[@]}" -r "$REQ/runtime.txt" -r "$REQ/tests.txt" -r "$REQ/optional.txt" \
    -r "$REQ/torch.txt" -r "$REQ/build.txt"
"${UV[@]}" --no-deps openmim==0.3.9
"${UV[@]}" $(grep -v -e '^#' -e '^openmim' -e '^$' "$REQ/mim.txt")
"${UV[@]}" --no-deps -e "$ROOT"
# openmim looks for site-packages/mmped/.mim, which a PEP 660 editable install lacks: link it
# (-P: resolve mmped through the install, not through the current directory)
(cd / && "$VENV/bin/python" -P -m mmped.utils.editable_install)

check_imports
fingerprint > "$STAMP"
log "environment ready in $(( $(date +%s) - start )) s"
