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
    # the paper's schedule
    assert cfg.train_cfg.max_epochs == 5 and cfg.train_dataloader.batch_size == 4
    assert cfg.optim_wrapper.optimizer.lr == 0.001
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.0001
    assert cfg.param_scheduler[-1].milestones == [4]
    assert model.roi_head.bbox_roi_extractor.roi_layer.output_size == (14, 7)
    assert model.train_cfg.rcnn.sampler.num == 64
