# SGD momentum 0.9, weight decay 5e-4 (paper); batch 4 x 8, 12 epochs, lr 1e-3, x0.1 at epochs 8 and
# 11 (our choice: the paper gives no schedule). mmdet's 1x schedule (12 epochs, x0.1 at epochs 8 and
# 11) with the paper's optimiser settings, except its warm-up: mmdet's 500-iteration warm-up never
# ends on INRIA or KITTI, so here the linear warm-up lasts the first epoch, counted in iterations
# of the actual dataloader (`convert_to_iter_based`), and every dataset reaches lr 1e-3 after one
# epoch whatever its size: e.g. Caltech 10x (42,782 frames) 1,337 iterations per epoch, INRIA (614
# positive images) 20. Steps are in epochs, i.e. at the same fraction of training for every
# dataset. The lr is set for the total batch of 32 (4 GPUs x 8): on another number of GPUs or
# batch size pass `--auto-scale-lr` (scales lr by total batch / 32).
_base_ = ['mmdet::_base_/schedules/schedule_1x.py', '../../_base_/default_runtime.py']

max_epochs = 12
# The loops and the optimiser wrapper are built in the mmped scope (mmdet's file marks them
# `_scope_='mmdet'`, where the loops could not build mmped's datasets and metrics).
train_cfg = dict(_scope_='mmped', val_interval=4)
val_cfg = dict(_scope_='mmped')
test_cfg = dict(_scope_='mmped')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11],
         gamma=0.1)
]
optim_wrapper = dict(
    _scope_='mmped',
    optimizer=dict(lr=1e-3, weight_decay=5e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='pedestrian/Reasonable', rule='less'))
auto_scale_lr = dict(base_batch_size=32)
