# Copyright (c) mmped contributors. All rights reserved.
"""Lifecycle hooks of teacher-student distillation (:class:`mmped.models.DistillFasterRCNN`).

- :class:`DistillWeightHook`: re-weight or stop the distillation terms from given epochs;
- :class:`TeacherValHook`: evaluate the frozen teacher once before training and log its
  metrics (miss rates with the KAIST evaluator), so a wrong teacher checkpoint shows at once.

An EMA of the student needs no special hook: mmengine's ``EMAHook`` deep-copies the model,
and :class:`DistillFasterRCNN` copies share the frozen teacher instead of duplicating it.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmped.registry import HOOKS


def _distill_model(runner):
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    if not hasattr(model, 'set_distill_weight') or not hasattr(model, 'teacher'):
        raise TypeError(f'{type(model).__name__} is not a distillation model (needs '
                        '`teacher` and `set_distill_weight`, e.g. DistillFasterRCNN)')
    return model


@HOOKS.register_module()
class DistillWeightHook(Hook):
    """Set the distillation weight ``w`` of the model at the start of every epoch.

    Each distillation term becomes ``(1 - w) * plain + w * distilled`` (the feature hint
    ``w * hint``); ``w = 1`` is the paper's training, ``w = 0`` stops distillation (the
    student trains on its plain losses and the teacher is no longer run). The weight of an
    epoch is that of the last milestone at or before it (1.0 before the first), recomputed
    every epoch, so resumed runs continue with the right value.

    Config: ``custom_hooks = [dict(type='mmped.DistillWeightHook', schedule=[(120, 0.0)])]``
    stops distillation after 120 epochs; ``[(50, 0.5), (100, 0.0)]`` halves it, then stops.

    Args:
        schedule (Sequence[tuple[int, float]]): ``(epoch, weight)`` milestones, 0-based
            epochs (``runner.epoch``), weights in [0, 1].
    """

    priority = 'NORMAL'

    def __init__(self, schedule: Sequence[Tuple[int, float]] = ()) -> None:
        milestones = sorted((int(e), float(w)) for e, w in schedule)
        for epoch, weight in milestones:
            if epoch < 0 or not 0.0 <= weight <= 1.0:
                raise ValueError(f'bad milestone (epoch {epoch}, weight {weight}): epochs >= 0, '
                                 'weights in [0, 1]')
        self.schedule = milestones

    def weight_at(self, epoch: int) -> float:
        """Distillation weight of a 0-based epoch."""
        weight = 1.0
        for start, value in self.schedule:
            if epoch >= start:
                weight = value
        return weight

    def before_train_epoch(self, runner) -> None:
        """Apply the weight of ``runner.epoch``."""
        model = _distill_model(runner)
        weight = self.weight_at(runner.epoch)
        if weight != model.distill_weight:
            runner.logger.info(f'epoch {runner.epoch + 1}: distillation weight '
                               f'{model.distill_weight:g} -> {weight:g}')
        model.set_distill_weight(weight)
        runner.message_hub.update_scalar('train/distill_weight', weight)


@HOOKS.register_module()
class TeacherValHook(Hook):
    """Evaluate the frozen teacher on the validation set once, before the first epoch.

    Runs the teacher on the validation dataloader (the inputs normalised by the model's data
    preprocessor, as in distillation), scores it with the validation evaluator and logs the
    metrics with the ``teacher/`` prefix (also kept in :attr:`metrics` and the message hub).
    Skipped when resuming past epoch 0.

    Config: ``custom_hooks = [dict(type='mmped.TeacherValHook')]``.

    Args:
        skip_on_resume (bool): Do nothing when training resumes after epoch 0.
            Defaults to True.
    """

    priority = 'LOW'

    def __init__(self, skip_on_resume: bool = True) -> None:
        self.skip_on_resume = skip_on_resume
        self.metrics: Optional[Dict[str, float]] = None

    def before_train(self, runner) -> None:
        """Evaluate the teacher and log its metrics."""
        if self.skip_on_resume and runner.epoch > 0:
            return
        model = _distill_model(runner)
        loop = runner.val_loop
        if loop is None or not hasattr(loop, 'dataloader'):
            raise RuntimeError('TeacherValHook needs val_dataloader / val_evaluator / val_cfg')
        teacher = model.teacher
        with torch.no_grad():
            for data_batch in loop.dataloader:
                data = model.data_preprocessor(data_batch, False)
                outputs = teacher.predict(data['inputs'], data['data_samples'])
                loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        self.metrics = {f'teacher/{k}': v for k, v in metrics.items()}
        for key, value in self.metrics.items():
            if isinstance(value, (int, float)):
                runner.message_hub.update_scalar(key, value)
        runner.logger.info('teacher before training: ' + ', '.join(
            f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
            for k, v in self.metrics.items()))
