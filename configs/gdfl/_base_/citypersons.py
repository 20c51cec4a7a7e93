# CityPersons for GDFL (Table VI / VIII): the detection-benchmark dataset settings (Reasonable
# training filter, official val_gt.json, 1024 x 2048 inference) with SSD-style augmentation adapted
# to the large frames: photometric distortion, random rescale (0.5-1.5) and 640 x 1280 crops.
_base_ = '../../_base_/datasets/citypersons.py'

backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(640, 1280), allow_negative_crop=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline))
