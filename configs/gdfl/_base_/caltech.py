# Caltech for GDFL: the detection-benchmark dataset settings (configs/_base_/datasets/caltech.py:
# data/caltech/coco from caltech_seq_to_coco.py, 10x training frames, the 4,024 test frames) with
# SSD data augmentation, inference at the native 480 x 640, and every setup + MR-4 reported;
# trained on every annotated person (see `train_dataloader`).
_base_ = '../../_base_/datasets/caltech.py'

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    # SSD data augmentation: photometric distortion, zoom-out expansion, IoU-constrained crops
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 2)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=(640, 480), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(640, 480), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
# Training labels: the original Caltech annotations as released, the paper's "trained on the
# Caltech training set with the original annotations". Every `person` box is a positive whatever
# its height or occlusion (`person?`, `people` and `ignore` boxes are ignore regions): Table I puts
# 40 px default boxes on conv4_3, Table II's conv4_3 masks start at 30 px and heavy occlusion is
# the headline result, so small and occluded people must be trained on. The usual Reasonable
# training filter (h >= 50 px and >= 65 % visible, the others turned into ignore regions) is kept
# as `reasonable_train_filter`, used by gdfl_vgg16-reasonable-train_4xb8-12e_caltech.py.
reasonable_train_filter = dict(min_height=50, min_vis=0.65)
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(pipeline=train_pipeline, train_filter=None))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(setups=None, mr4=True)
test_evaluator = val_evaluator
