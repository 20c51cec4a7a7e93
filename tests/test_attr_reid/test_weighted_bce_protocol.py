# Copyright (c) mmped contributors. All rights reserved.
"""WeightedBCELoss as the papers train it: device-safe loading, loss scale, exact ratios."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.io as sio
import torch
from mmengine.config import Config
from mmengine.dataset import ConcatDataset
from mmengine.registry import DefaultScope

from mmped.datasets import PA100KDataset, dataset_positive_ratio
from mmped.engine.hooks import AttributePosRatioHook
from mmped.models import WeightedBCELoss
from mmped.registry import MODELS
from mmped.testing import REPO_ROOT, shared_file
from mmped.utils import register_all_modules

from .conftest import make_pa100k

register_all_modules(init_default_scope=False)
LN2 = math.log(2.0)


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta")
@pytest.mark.parametrize('pos_ratio', [None, 'train_split'])
def test_load_state_dict_keeps_the_module_device(pos_ratio):
    """A model on another device (here `meta`) loading a CPU checkpoint keeps its device."""
    src = WeightedBCELoss(mode='dahar', pos_ratio=pos_ratio)
    gt = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    if pos_ratio is None:
        src(torch.zeros(2, 3), gt)
    else:
        src.set_pos_ratio([0.5, 0.25, 0.75])
    with torch.device('meta'):
        dst = WeightedBCELoss(mode='dahar', pos_ratio=pos_ratio)
    dst.load_state_dict(src.state_dict())
    names = ('num_pos', 'num_valid') if pos_ratio is None else ('pos_ratio', )
    for name in names:
        assert getattr(dst, name).device.type == 'meta', name
        assert getattr(dst, name).shape == (3, ), name
    # and a CPU module gets the values
    fresh = WeightedBCELoss(mode='dahar', pos_ratio=pos_ratio)
    fresh.load_state_dict(src.state_dict())
    for name in names:
        torch.testing.assert_close(getattr(fresh, name), getattr(src, name))


def _config_losses(rel: str):
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / rel))
    losses = [cfg.model.head.loss]
    if 'side_loss' in cfg.model:
        losses.append(cfg.model.side_loss)
    with DefaultScope.overwrite_default_scope('mmped'):
        return [MODELS.build(c) for c in losses], cfg


@pytest.mark.parametrize('rel', [
    'hpnet/hpnet-stage1_bninception_1xb32-30e_pa100k.py',
    'hpnet/hpnet-stage3_bninception_1xb32-5e_rap.py',
    'dahar/dahar_r101_1xb32-30e_wider-attribute.py',
    'dahar/dahar_r101-wbce_1xb32-30e_rap.py',
    'dahar/dahar_r101-mixed_1xb32-30e_wider-attribute.py',
])
def test_config_losses_sum_attributes_and_average_samples(rel):
    """HP-net (DeepMAR's weighted CE) and Da-HAR (eq. 1 / 2): sum over A, mean over N."""
    losses, cfg = _config_losses(rel)
    assert any(h['type'].endswith('AttributePosRatioHook') for h in cfg.custom_hooks)
    logits = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    gt = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    ratio = [0.25, 0.5, 0.8]
    for loss in losses:
        if loss.ratio_source == 'train_split':
            loss.set_pos_ratio(ratio)
        else:
            assert loss.mode == 'none', rel
        if loss.mode == 'exp':
            w = [[math.exp(0.75), math.exp(0.5), math.exp(0.2)],
                 [math.exp(0.25), math.exp(0.5), math.exp(0.2)]]
        elif loss.mode == 'dahar':
            w = [[1 / 0.5, 1 / 1.0, 1 / 1.6], [1 / 1.5, 1 / 1.0, 1 / 1.6]]
        else:
            w = [[1.0] * 3] * 2
        # BCE at logit 0 is ln 2 for both labels; 6 entries summed, divided by N = 2
        expected = LN2 * sum(map(sum, w)) / 2
        assert loss(logits, gt).item() == pytest.approx(expected, rel=1e-6), rel


@pytest.mark.parametrize('mode', ['dahar', 'exp'])
def test_fp16_logits_with_a_ratio_near_one_give_a_finite_loss(mode):
    logits = torch.zeros(2, 1, dtype=torch.float16)
    gt = torch.zeros(2, 1, dtype=torch.float16)
    loss = WeightedBCELoss(mode=mode, pos_ratio=[0.9999], reduction='batchmean')(logits, gt)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    # negatives: 1 / (2 (1 - p)) = 5000 (float32 p), exp(p) for mode 'exp'
    weight = 0.5 / (1 - np.float32(0.9999)) if mode == 'dahar' else math.exp(0.9999)
    assert loss.item() == pytest.approx(LN2 * weight, rel=1e-4)


def test_train_split_ratio_is_required_before_training():
    loss = WeightedBCELoss(mode='dahar', pos_ratio='train_split')
    with pytest.raises(RuntimeError, match='AttributePosRatioHook'):
        loss(torch.zeros(1, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match='train_split'):
        WeightedBCELoss(pos_ratio='running')


def _runner(model, dataset):
    return SimpleNamespace(model=model, train_dataloader=SimpleNamespace(dataset=dataset))


@pytest.mark.realdata
def test_hook_sets_the_exact_ratio_of_the_real_pa100k_training_split():
    root = shared_file('pa100k', 'annotation5.mat').parent
    dataset = PA100KDataset(data_root=str(root), ann_file='annotation5.mat', split='train',
                            lazy_init=True)
    labels = sio.loadmat(str(root / 'annotation5.mat'))['train_label'].astype(np.float64)
    model = torch.nn.ModuleDict(dict(
        a=WeightedBCELoss(mode='exp', pos_ratio='train_split'),
        b=WeightedBCELoss(mode='exp', pos_ratio=[0.5] * 26),
        c=WeightedBCELoss(mode='exp')))
    AttributePosRatioHook().before_train(_runner(model, dataset))
    np.testing.assert_allclose(model['a'].pos_ratio.numpy(), labels.mean(0), rtol=1e-6)
    assert model['b'].pos_ratio.tolist() == [0.5] * 26  # fixed ratios untouched
    assert model['c'].num_pos.numel() == 0  # running estimate untouched


def test_concatenated_training_sets_pool_their_counts(tmp_path):
    roots = [make_pa100k(tmp_path / f'pa{i}', num=3 + i, seed=i) for i in range(2)]
    parts = [PA100KDataset(data_root=str(r), split='train') for r in roots]
    labels = np.concatenate([sio.loadmat(str(r / 'annotation.mat'))['train_label']
                             for r in roots]).astype(np.float64)
    np.testing.assert_allclose(dataset_positive_ratio(ConcatDataset(parts)), labels.mean(0))
