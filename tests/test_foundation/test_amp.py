# Copyright (c) mmped contributors. All rights reserved.
"""Mixed precision as `tools/train.py --amp` sets it up: bfloat16 autocast on CPU, mmengine's
float16 wrapper on CUDA; every paper's main model trains a step under it with finite losses."""
import dataclasses
import importlib.util
import math
import os
import types

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from torch import nn

from mmped.engine.optimizers import CPUAmpOptimWrapper, amp_optim_wrapper_cfg
from mmped.testing import REPO_ROOT
from mmped.utils import register_all_modules


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_amp_autocasts_forward_and_keeps_float32_state():
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    before = model.weight.detach().clone()
    wrapper = CPUAmpOptimWrapper(optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    x = torch.randn(3, 4)
    with wrapper.optim_context(model):
        out = model(x)
        loss = nn.functional.mse_loss(out, torch.zeros_like(out))  # autocast: float32 loss
    assert out.dtype == torch.bfloat16 and loss.dtype == torch.float32
    wrapper.update_params(loss)
    assert model.weight.dtype == torch.float32 and model.weight.grad is None
    assert not torch.equal(model.weight, before)
    assert model(x).dtype == torch.float32  # outside the context: no autocast
    with pytest.raises(ValueError, match='bfloat16 and float16'):
        CPUAmpOptimWrapper(dtype='float32', optimizer=torch.optim.SGD(model.parameters(), lr=1))


def test_amp_config_per_device():
    plain = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01), clip_grad=None)
    cuda = amp_optim_wrapper_cfg(plain, cuda=True)
    cpu = amp_optim_wrapper_cfg(plain, cuda=False)
    assert cuda == dict(plain, type='mmengine.AmpOptimWrapper', loss_scale='dynamic')
    assert cpu == dict(plain, type='mmped.CPUAmpOptimWrapper', dtype='bfloat16')
    assert plain['type'] == 'OptimWrapper'  # input unchanged
    register_all_modules()
    built = build_optim_wrapper(nn.Linear(2, 2), cpu)
    assert type(built) is CPUAmpOptimWrapper and built.cast_dtype == torch.bfloat16
    with pytest.raises(ValueError, match='OptimWrapper'):
        amp_optim_wrapper_cfg(dict(type='AmpOptimWrapper', optimizer=plain['optimizer']))


def test_train_tool_amp_flag_uses_the_device_wrapper(tmp_path):
    train = _load('tools/train.py', 'mmped_train_tool')
    cfg_file = (REPO_ROOT / 'configs' / 'gdfl'
                / 'gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py')
    args = train.parse_args([str(cfg_file), '--amp', '--work-dir', str(tmp_path)])
    cfg = train.build_cfg(args)
    expected = 'mmengine.AmpOptimWrapper' if torch.cuda.is_available() else \
        'mmped.CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.type == expected
    # a config already in mixed precision is left as it is
    args = train.parse_args([str(cfg_file), '--amp', '--work-dir', str(tmp_path),
                             '--cfg-options', 'optim_wrapper.type=mmped.CPUAmpOptimWrapper'])
    assert train.build_cfg(args).optim_wrapper.type == 'mmped.CPUAmpOptimWrapper'


# two-stream VGG16 Faster R-CNNs and the R50-C4 person-search model take 1-2.5 minutes per
# bfloat16 step on a 2-core CPU: on CPU they run with MMPED_FULL_AMP=1 (always on CUDA)
HEAVY_ON_CPU = ('DCRL teacher', 'DCRD distillation (teacher + student)', 'BUFF')
MAIN_MODELS = ['GDFL', 'CA-GDFL', 'DCRL teacher', 'DCRD distillation (teacher + student)', 'BUFF',
               'HP-net', 'HP-net re-ID', 'Da-HAR']


@pytest.mark.slow
@pytest.mark.parametrize('name', MAIN_MODELS)
def test_main_model_trains_a_step_under_amp(name, tmp_path, device):
    """Each paper's main config (full width, its own training pipeline at a fifth of the
    image size, one image) takes a training step in mixed precision with a finite loss.

    The benchmark keeps the GDFL rows at 0.65 of Caltech's size to time them against SSD300
    (whose extra layers need about 300 px); GDFL's heads (conv4_3 to conv7_2) take the fifth
    (96 x 128) as well, which keeps this step at ~15 s instead of ~4 min of bfloat16
    convolutions on a CPU without native bfloat16."""
    if name in HEAVY_ON_CPU and not device.startswith('cuda') and \
            os.environ.get('MMPED_FULL_AMP') != '1':
        pytest.skip(f'{name}: a CPU bfloat16 step takes minutes (MMPED_FULL_AMP=1 runs it)')
    bench = _load('benchmarks/train_throughput.py', 'mmped_train_throughput')
    register_all_modules()
    row = dataclasses.replace(next(r for r in bench.ROWS if r.name == name), min_scale=0.0)
    # one image per step: the CPU's bfloat16 convolutions are ~8x slower than float32 ones
    args = types.SimpleNamespace(device=device, amp=True, iters=1, warmup=0, scale=0.2,
                                 batch_size=1)
    result = bench.run_row(row, args, str(tmp_path))
    assert math.isfinite(result['loss']) and result['loss'] > 0


def test_mmcv_ops_get_float32_inputs_only_inside_the_context():
    import sys

    from mmcv.ops import nms
    nms_module = sys.modules['mmcv.ops.nms']  # the attribute `mmcv.ops.nms` is the function

    from mmped.engine.optimizers.amp_optim_wrapper import float32_mmcv_ops
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    expected = nms(boxes, scores, 0.5)[1]
    original = nms_module.NMSop
    with float32_mmcv_ops():
        keep = nms(boxes.bfloat16(), scores.bfloat16(), 0.5)[1]
    assert keep.tolist() == expected.tolist() == [0, 2]
    assert nms_module.NMSop is original
    with pytest.raises(RuntimeError, match='BFloat16'):
        nms(boxes.bfloat16(), scores.bfloat16(), 0.5)


def test_roi_pool_reduced_precision_on_cpu_equals_float32():
    from mmped.models.layers.roi_pool import RoIPool
    torch.manual_seed(0)
    x = torch.randn(1, 2, 8, 8).bfloat16()
    rois = torch.tensor([[0., 0., 0., 7., 7.], [0., 2., 1., 5., 6.]])
    pool = RoIPool(output_size=2, spatial_scale=1.0)
    out = pool(x, rois)
    assert out.dtype == torch.bfloat16
    assert torch.equal(out, pool(x.float(), rois).bfloat16())
