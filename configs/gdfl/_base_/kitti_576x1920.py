# KITTI pedestrians for GDFL (Table IV) at the larger 576 x 1920 input.
_base_ = './kitti_384x1280.py'

train_pipeline = [
    *_base_.train_load, *_base_.ssd_augment,
    dict(type='Resize', scale=(1920, 576), keep_ratio=False), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=(1920, 576), keep_ratio=False), *_base_.test_finish
]
train_dataloader = dict(batch_size=8, num_workers=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
