# INRIA Person. Expected layout (official archive):
#   data/INRIAPerson/{Train,Test}/annotations/*.txt   PASCAL v1 text annotations
#   data/INRIAPerson/{Train,Test}/pos/*.png           images named in the annotations
# Splits: INRIA has no validation split and its test set must not select checkpoints, so every
# 10th of the 614 annotated training images (in file-name order, `holdout` of
# PedestrianDetDataset) is held out for validation (62 images) and training uses the other 552;
# testing is on the 288 positive test images. To train on all 614, set
# `train_dataloader.dataset.holdout=None`.
# Evaluation: Caltech toolbox protocol on the 288 positive test images (no boundary filter).
_base_ = './pedestrian_det_pipeline.py'

dataset_type = 'INRIADataset'
data_root = 'data/INRIAPerson/'
backend_args = None
img_scale = (1333, 800)
val_every = 10

train_pipeline = [
    *_base_.train_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.test_finish
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Train/annotations',
        data_prefix=dict(img=''),
        holdout=dict(every=val_every, part='train'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Train/annotations',
        data_prefix=dict(img=''),
        holdout=dict(every=val_every, part='val'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
# the same loader on the test split
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='Test/annotations', holdout=None))

# the metric reads the ground truth of the evaluated images only (the held-out ones for val)
val_evaluator = dict(
    type='MissRateMetric', ann_file=data_root + 'Train/annotations', protocol='inria')
test_evaluator = dict(val_evaluator, ann_file=data_root + 'Test/annotations')
