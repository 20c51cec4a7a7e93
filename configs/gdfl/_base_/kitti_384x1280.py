# KITTI pedestrians for GDFL (Table IV) at 384 x 1280 with SSD data augmentation; train / val split
# as in configs/_base_/datasets/kitti_pedestrian.py (the test labels are private: submit test-mode
# results to the benchmark server for the paper's numbers).
_base_ = '../../_base_/datasets/kitti_pedestrian.py'

train_pipeline = [
    *_base_.train_load, *_base_.ssd_augment,
    dict(type='Resize', scale=(1280, 384), keep_ratio=False), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=(1280, 384), keep_ratio=False), *_base_.test_finish
]
train_dataloader = dict(batch_size=8, num_workers=4, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
