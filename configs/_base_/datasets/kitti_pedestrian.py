# KITTI object detection, 2D pedestrians. Expected layout (official archive + split files):
#   data/kitti/training/{image_2,label_2}/XXXXXX.{png,txt}
#   data/kitti/ImageSets/{train,val}.txt        (the usual 3712 / 3769 split)
# Evaluation: KITTI devkit 2D AP, easy / moderate / hard, AP|R11 and AP|R40 at IoU 0.5.
_base_ = './pedestrian_det_pipeline.py'

dataset_type = 'KITTIPedestrianDataset'
data_root = 'data/kitti/'
backend_args = None
img_scale = (1242, 375)

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
        ann_file='training/label_2',
        image_set=data_root + 'ImageSets/train.txt',
        data_prefix=dict(img='training/image_2/'),
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
        ann_file='training/label_2',
        image_set=data_root + 'ImageSets/val.txt',
        data_prefix=dict(img='training/image_2/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='KITTIPedestrianMetric',
    ann_file=data_root + 'training/label_2',
    image_set=data_root + 'ImageSets/val.txt')
test_evaluator = val_evaluator
