# SGD momentum 0.9, weight decay 5e-4 (paper); batch 4 x 8, 12 epochs, lr 1e-3, x0.1 at epochs 8 and
# 11 (our choice: the paper gives no schedule). mmdet's 1x schedule (12 epochs, 500-iteration linear
# warm-up, x0.1 at epochs 8 and 11) with the paper's optimiser settings.
_base_ = ['mmdet::_base_/schedules/schedule_1x.py', '../../_base_/default_runtime.py']

train_cfg = dict(val_interval=4)
optim_wrapper = dict(
    optimizer=dict(lr=1e-3, weight_decay=5e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='pedestrian/Reasonable', rule='less'))
auto_scale_lr = dict(base_batch_size=32)
