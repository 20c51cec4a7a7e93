# Adam (as CityPersons' reference [23], followed by the paper), lr 1e-4, weight decay 5e-4, batch
# 2 x 4, 40 epochs with x0.1 at epoch 30 (our choice: the paper gives no schedule).
# mmdet ships no Adam schedule to inherit (its 1x / 2x / 20e are SGD): stated in full here.
_base_ = '../../_base_/default_runtime.py'

max_epochs = 40
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[30],
         gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, weight_decay=5e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='pedestrian/Reasonable', rule='less'))
auto_scale_lr = dict(enable=False, base_batch_size=8)
