# INRIA for GDFL (Fig. 8): the detection-benchmark dataset settings with SSD data augmentation and
# the paper's 480 x 640 input; the 614 positive training images only (images without pedestrians
# are dropped by filter_empty_gt), Reasonable setting.
_base_ = '../../_base_/datasets/inria.py'

train_pipeline = [
    *_base_.train_load, *_base_.ssd_augment,
    dict(type='Resize', scale=(640, 480), keep_ratio=False), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=(640, 480), keep_ratio=False), *_base_.test_finish
]
train_dataloader = dict(batch_size=8, num_workers=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
