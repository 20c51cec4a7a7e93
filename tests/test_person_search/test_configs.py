# Copyright (c) mmped contributors. All rights reserved.
import pytest
from mmengine.config import Config

from mmped.testing import REPO_ROOT

CFG_DIR = REPO_ROOT / 'configs' / 'buff'
EXPECTED = {
    'baseline': ((4, ), False), 'bsl-fam': ((4, ), True), 'buf-c34': ((3, 4), False),
    'buf-c234': ((2, 3, 4), False), 'buf-c1234': ((1, 2, 3, 4), False),
    'buff': ((1, 2, 3, 4), True)
}


@pytest.mark.parametrize('dataset,num_pids,queue,data_type', [
    ('prw', 483, 500, 'PRWDataset'), ('cuhk-sysu', 5532, 5000, 'CUHKSYSUDataset')])
@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_config_tables(name, dataset, num_pids, queue, data_type):
    cfg = Config.fromfile(CFG_DIR / f'{name}_r50_1xb4-5e_{dataset}.py')
    levels, fam = EXPECTED[name]
    model = cfg.model
    assert tuple(model.roi_head.reid_roi_extractor.levels) == levels
    assert (model.get('fg_attention') is not None) == fam
    if name == 'buff':
        assert tuple(model.fam_levels) == (1, 2, 3, 4)
    oim = model.roi_head.reid_head.loss_reid
    assert (oim.num_pids, oim.queue_size, oim.loss_weight) == (num_pids, queue, 0.5)
    assert cfg.train_dataloader.dataset.type == cfg.test_dataloader.dataset.type == data_type
    # the paper's schedule (iteration counts: test_paper_schedule_*)
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.0001
    for key in ('bbox_roi_extractor', 'reid_roi_extractor'):
        assert model.roi_head[key].roi_layer == dict(type='mmped.RoIPool', output_size=(14, 7))
    assert model.rpn_head.anchor_generator.ratios == [0.5, 1.0, 2.0]
    assert model.rpn_head.anchor_generator.scales == [8, 16, 32]
    assert model.train_cfg.rcnn.sampler.num == 64
    assert cfg.test_dataloader.dataset.pipeline[1] == dict(type='Resize', scale=(10000, 600),
                                                           keep_ratio=True)


def _lr_at(cfg, iters):
    """Learning rate the config's schedulers give at each iteration of ``iters``."""
    import torch
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS

    wrapper = build_optim_wrapper(torch.nn.Linear(1, 1), cfg.optim_wrapper)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper.optimizer))
                  for s in cfg.param_scheduler]
    out, wanted = {}, set(iters)
    for it in range(max(iters) + 1):
        if it in wanted:
            out[it] = wrapper.optimizer.param_groups[0]['lr']
        for s in schedulers:
            s.step()
    return out


def _paper_iterations(num_images: int, batch_size: int):
    """(total, drop): 5 epochs over the images and their flipped copies, x0.1 after 4."""
    per_epoch = 2 * num_images // batch_size
    return 5 * per_epoch, 4 * per_epoch


@pytest.mark.realdata
def test_paper_schedule_prw_over_real_train_list():
    """14,260 iterations, the drop at 11,408: counted over the real PRW training list."""
    from mmped.registry import DATASETS
    from mmped.testing import shared_file
    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    train_json = shared_file('prw', 'alignps', 'train_pid.json')
    for name in ('baseline', 'buff'):
        cfg = Config.fromfile(CFG_DIR / f'{name}_r50_1xb4-5e_prw.py')
        ds_cfg = dict(cfg.train_dataloader.dataset, data_root=str(train_json.parent),
                      ann_file=train_json.name, pipeline=[])
        ds = DATASETS.build(ds_cfg)
        assert len(ds) == 5704  # every training frame has a person (filter_empty_gt keeps all)
        total, drop = _paper_iterations(len(ds), cfg.train_dataloader.batch_size)
        assert (total, drop) == (14260, 11408)
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        assert cfg.train_cfg.max_iters == total == cfg.param_scheduler[-1].end
        assert cfg.default_hooks.checkpoint.interval == total // 5
        assert 'clip_grad' not in cfg.optim_wrapper
        lrs = _lr_at(cfg, [0, 1, drop - 1, drop, total - 1])
        assert lrs == pytest.approx({0: 1e-3, 1: 1e-3, drop - 1: 1e-3, drop: 1e-4,
                                     total - 1: 1e-4})


@pytest.mark.parametrize('name', ['baseline', 'buff'])
def test_paper_schedule_cuhk_sysu(name):
    """11,206 training images (Table 2) counted as on PRW: 28,015 iterations, drop at 22,412."""
    cfg = Config.fromfile(CFG_DIR / f'{name}_r50_1xb4-5e_cuhk-sysu.py')
    total, drop = _paper_iterations(11206, cfg.train_dataloader.batch_size)
    assert (total, drop) == (28015, 22412)
    assert cfg.train_cfg.max_iters == total and len(cfg.param_scheduler) == 1
    assert cfg.param_scheduler[0].milestones == [drop] and not cfg.param_scheduler[0].by_epoch
