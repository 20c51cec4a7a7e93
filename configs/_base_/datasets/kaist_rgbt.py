# KAIST multispectral pedestrians: aligned visible + thermal (lwir) pairs of 640 x 512.
# Expected layout (official image folders, split lists and annotations of the community):
#   data/kaist/images/setXX/VYYY/{visible,lwir}/IZZZZZ.jpg
#   data/kaist/imageSets/{train-all-02,test-all-20,test-day-20,test-night-20}.txt
#   data/kaist/annotations/train-original/    bbGt v3 txt, original train annotations
#   data/kaist/annotations/train-sanitized/   bbGt v3 txt, sanitized (Li et al. BMVC'18)
#   data/kaist/annotations/KAIST_annotation.json   improved test (Liu et al. BMVC'16), MLPD json
#   data/kaist/annotations/paired/{visible,lwir}/  paired annotations (Zhang et al. ICCV'19)
# The pair is loaded into one H x W x 6 image (visible BGR, lwir as 3 channels), so geometric
# transforms keep both aligned; photometric ones go through PerModalityTransform.
dataset_type = 'KAISTDataset'
data_root = 'data/kaist/'
backend_args = None
# KAIST frames are 640 x 512 and used at that size (the Resize is a no-op on them)
img_scale = (640, 512)

# ImageNet statistics for both streams, as torchvision's VGG16 weights expect (both streams start
# from them; the thermal image is a replicated gray image, so its three channels get the RGB
# mean / std too), per modality, RGB order after the per-modality BGR -> RGB flip
data_preprocessor = dict(
    type='MultiModalDetDataPreprocessor',
    mean=[123.675, 116.28, 103.53, 123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375, 58.395, 57.12, 57.375],
    modality_channels=(3, 3),
    bgr_to_rgb=True,
    pad_size_divisor=16)

train_pipeline = [
    dict(type='LoadPairedImageFromFile', lwir_channels=3, backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='PerModalityTransform',
        modality='visible',
        transforms=[dict(type='PhotoMetricDistortion')]),
    dict(
        type='PerModalityTransform',
        modality='lwir',
        transforms=[
            dict(type='PhotoMetricDistortion', hue_delta=0, saturation_range=(1.0, 1.0))
        ]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPairedDetInputs'),
]
test_pipeline = [
    dict(type='LoadPairedImageFromFile', lwir_channels=3, backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackPairedDetInputs'),
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
        ann_file='annotations/train-original',
        image_set='imageSets/train-all-02.txt',
        data_prefix=dict(img='images/'),
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
        ann_file='annotations/KAIST_annotation.json',
        image_set='imageSets/test-all-20.txt',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# KAIST protocol of the MLPD script: reasonable all / day / night (+ scale / occlusion setups)
val_evaluator = dict(
    type='MissRateMetric',
    protocol='kaist',
    ann_file=data_root + 'annotations/KAIST_annotation.json',
    prefix='pedestrian')
test_evaluator = val_evaluator
