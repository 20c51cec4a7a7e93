# Copyright (c) mmped contributors. All rights reserved.
"""Regression tests of the review of the GDFL / CA-GDFL components."""
import torch

from mmped.models.task_modules import ScaleMaskTargets

CA_RANGES = ((30, 89), (90, 169), (170, 259), (260, None))


def test_range_mode_has_no_gap_between_integer_ranges():
    """Table II's ranges tile the height axis: every pedestrian >= 30 px is some layer's."""
    target = ScaleMaskTargets(height_ranges=CA_RANGES)
    for h, layer in ((89.4, 0), (89.6, 1), (169.3, 1), (169.7, 2), (259.5, 3), (29.6, 0)):
        boxes = torch.tensor([[0., 0., 20., h]])
        labels, heights, valid = target(boxes, (300, 20))
        assert labels[:, 5, 5].tolist() == [int(j == layer) for j in range(4)], h
        assert valid[layer, 5, 5] and int(valid[:, 5, 5].sum()) == 1, h  # ignored elsewhere
        assert abs(float(heights[layer, 5, 5]) - h) < 1e-4  # the weight keeps the real height
    # below the first range: ignored everywhere (eq. 8), never foreground
    labels, _, valid = target(torch.tensor([[0., 0., 20., 29.4]]), (300, 20))
    assert (labels[:, 5, 5] == 0).all() and not valid[:, 5, 5].any()


def _metric_keys(evaluator) -> set:
    """Names the evaluator's metrics report (prefix/key), from the metric classes."""
    from mmped.registry import METRICS
    evaluators = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
    keys = set()
    for ev in evaluators:
        cls = METRICS.get(ev['type'])
        prefix = ev.get('prefix') or cls.default_prefix
        keys.add(prefix)
    return keys


def test_save_best_key_is_reported_by_the_config_evaluator():
    """CheckpointHook raises KeyError at the first validation when save_best is not a metric."""
    from mmengine.config import Config

    from mmped.testing import REPO_ROOT
    from mmped.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg_dir = REPO_ROOT / 'configs' / 'gdfl'
    expected = {'kitti': ('kitti/moderate_R40', 'greater'), 'mot17det': ('mot17det/AP', 'greater'),
                'caltech': ('pedestrian/Reasonable', 'less')}
    for name in ('gdfl_vgg16_4xb8-12e_kitti-384x1280.py',
                 'ca-gdfl_vgg16_4xb8-12e_kitti-576x1920.py', 'gdfl_vgg16_4xb8-12e_mot17det.py',
                 'ca-gdfl_vgg16_4xb8-12e_mot17det.py', 'gdfl_vgg16_4xb8-12e_caltech.py'):
        cfg = Config.fromfile(str(cfg_dir / name))
        ckpt = cfg.default_hooks.checkpoint
        prefix = ckpt.save_best.split('/')[0]
        assert prefix in _metric_keys(cfg.val_evaluator), (name, ckpt.save_best)
        key, rule = next(v for k, v in expected.items() if k in name)
        assert (ckpt.save_best, ckpt.rule) == (key, rule), name


def test_mot17det_loads_the_checkpoint_the_caltech_run_writes():
    from mmengine.config import Config

    from mmped.testing import REPO_ROOT
    cfg_dir = REPO_ROOT / 'configs' / 'gdfl'
    for model in ('gdfl', 'ca-gdfl'):
        caltech = Config.fromfile(str(cfg_dir / f'{model}_vgg16_4xb8-12e_caltech.py'))
        mot = Config.fromfile(str(cfg_dir / f'{model}_vgg16_4xb8-12e_mot17det.py'))
        # CheckpointHook writes epoch_{n}.pth (and best_<key>_epoch_{n}.pth, epoch unknown)
        assert mot.load_from == (f'work_dirs/{model}_vgg16_4xb8-12e_caltech/'
                                 f'epoch_{caltech.train_cfg.max_epochs}.pth')
