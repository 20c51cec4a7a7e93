# MOT17Det. Expected layout (official archive):
#   data/MOT17Det/train/MOT17-XX/{img1/XXXXXX.jpg, gt/gt.txt, seqinfo.ini}
# There is no public test GT: validate on (a split of) the train sequences.
# Evaluation: detection AP at IoU 0.5 (ambiguous persons and flag-0 rows ignored).
_base_ = './pedestrian_det_pipeline.py'

dataset_type = 'MOT17DetDataset'
data_root = 'data/MOT17Det/'
backend_args = None
img_scale = (1920, 1080)

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
        ann_file='train',
        data_prefix=dict(img='train/'),
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
        ann_file='train',
        data_prefix=dict(img='train/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(type='MOT17DetMetric', ann_file=data_root + 'train')
test_evaluator = val_evaluator
