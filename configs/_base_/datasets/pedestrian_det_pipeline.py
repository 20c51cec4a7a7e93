# Pipeline pieces shared by the pedestrian detection benchmark bases (caltech.py, citypersons.py,
# inria.py, kitti_pedestrian.py, mot17det.py) and the GDFL data bases in configs/gdfl/_base_/.
# A base that inherits this file (directly or through one of those bases) writes its pipelines
# from these lists as `[*_base_.train_load, <its Resize>, *_base_.train_finish]` (mmengine hands a
# Python config its bases' variables as `_base_`), so only the dataset's size and keep_ratio are
# stated per dataset; the resolved pipelines are plain lists of transform dicts.
backend_args = None

# training: load image + boxes, (augment,) resize, flip, pack
train_load = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
]
train_finish = [dict(type='RandomFlip', prob=0.5), dict(type='PackDetInputs')]
# testing: load image, resize, load boxes (for the metrics), pack with the image meta
test_load = [dict(type='LoadImageFromFile', backend_args=backend_args)]
test_finish = [
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# SSD data augmentation (Liu et al., ECCV 2016), between loading and resizing: photometric
# distortion, zoom-out expansion onto a mean-filled canvas up to 2x, IoU-constrained crops
ssd_photometric = dict(
    type='PhotoMetricDistortion',
    brightness_delta=32,
    contrast_range=(0.5, 1.5),
    saturation_range=(0.5, 1.5),
    hue_delta=18)
ssd_expand = dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 2))
ssd_min_iou_crop = dict(
    type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3)
ssd_augment = [ssd_photometric, ssd_expand, ssd_min_iou_crop]
