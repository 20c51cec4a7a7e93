# Copyright (c) mmped contributors. All rights reserved.
"""Set the training split's exact positive ratios into the weighted attribute losses."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmped.datasets.pedestrian_attribute_base import dataset_positive_ratio
from mmped.models.losses.weighted_bce_loss import WeightedBCELoss
from mmped.registry import HOOKS


@HOOKS.register_module()
class AttributePosRatioHook(Hook):
    """Before training, give every ``WeightedBCELoss(pos_ratio='train_split')`` its ratio.

    The ratio is the positive fraction of every attribute over the valid labels of
    ``runner.train_dataloader.dataset`` (concatenations pool their members' counts), computed
    once from the annotations: the same on every rank of a distributed run, unlike a running
    estimate over the batches each rank sees. Losses with a fixed or running ratio are left
    as they are.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        """Compute the ratio and set it into the losses that ask for it."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        losses = [m for m in model.modules()
                  if isinstance(m, WeightedBCELoss) and m.ratio_source == 'train_split']
        if not losses:
            return
        ratio = dataset_positive_ratio(runner.train_dataloader.dataset)
        for loss in losses:
            loss.set_pos_ratio(ratio)
        print_log(f'AttributePosRatioHook: positive ratio of {len(ratio)} attributes from the '
                  f'training split (min {ratio.min():.4f}, max {ratio.max():.4f}) set in '
                  f'{len(losses)} loss(es)', logger='current')
