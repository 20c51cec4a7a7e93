# Copyright (c) mmped contributors. All rights reserved.
"""Randomly initialised, width-reduced models of every task and real samples for the inference
API / demo tests (weights are never downloaded: ImageNet init is switched off)."""
import importlib.util
from pathlib import Path

import pytest

from mmped.testing import REPO_ROOT, SHARED_DATA

GDFL_TINY = REPO_ROOT / 'configs' / 'gdfl' / 'gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py'
DCRL_TEACHER = REPO_ROOT / 'configs' / 'dcrl' / 'dcrl_vgg16_1xb2-100e_kaist.py'
DCRD_STUDENT = REPO_ROOT / 'configs' / 'dcrl' / 'dcrd-student_vgg16_1xb2-150e_kaist-rgb.py'
PAR_PA100K = REPO_ROOT / 'configs' / 'par_baseline' / 'par-baseline_r50_1xb64-30e_pa100k.py'
REID_MARKET = REPO_ROOT / 'configs' / 'reid_baseline' / \
    'reid-baseline_r50_1xb64-120e_market1501.py'

CITY_FRAME = 'citypersons/frankfurt_000001_016462_leftImg8bit.png'
CALTECH_FRAME = 'caltech/set06_V002_I00089.png'
KAIST_DIR = 'kaist/mbnet/kaist_demo'

# DCRL with 1 conv per stage and stage widths 4..16 (the real ones are 64..512)
_W = (4, 8, 8, 16, 16)
DCRL_TINY = {
    'model.backbone.widths': _W, 'model.backbone.num_convs': (1, 1, 1, 1, 1),
    'model.backbone.pretrained': None,
    'model.rpn_head.in_channels': 16, 'model.rpn_head.feat_channels': 16,
    'model.roi_head.bbox_roi_extractor.out_channels': 16,
    'model.roi_head.bbox_head.in_channels': 16, 'model.roi_head.bbox_head.fc_out_channels': 16,
    'model.test_cfg.rpn.nms_pre': 200, 'model.test_cfg.rpn.max_per_img': 30,
}
DCRL_TEACHER_TINY = {
    **DCRL_TINY, 'model.rpn_seg_head.in_channels': 32, 'model.roi_head.seg_head.in_channels': 32,
    'model.roi_head.fusion.in_channels': 16, 'model.roi_head.fusion.hidden_channels': (8, )}
DCRD_STUDENT_TINY = {
    **DCRL_TINY, 'model.rpn_seg_head.in_channels': 16, 'model.roi_head.seg_head.in_channels': 16}
# ResNet-18 trunks without ImageNet init, small inputs
CLS_TINY = {'model.backbone.depth': 18, 'model.backbone.init_cfg': None,
            'model.head.in_channels': 512}


def load_module(path: Path, name: str):
    """Import a script (demo/, tools/) by file name."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo_module(name: str):
    return load_module(REPO_ROOT / 'demo' / f'{name}.py', name)


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """One torch thread (as under pytest-xdist): on a loaded 2-core machine many threads make
    these small forwards several times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope='session')
def real() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f'real data samples not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture(scope='session')
def det_inferencer():
    from mmped.apis import PedDetInferencer

    return PedDetInferencer(str(GDFL_TINY), device='cpu')


def link_images(folder: Path, files) -> Path:
    """A folder of symbolic links to real sample images (nothing copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        (folder / Path(f).name).symlink_to(f)
    return folder
