# The CPU demo (demo/gdfl_demo.py, `make demo`): a reduced-width GDFL (VGG16 widths x 0.125) trained
# from scratch for a few minutes on the synthetic CityPersons-format dataset of
# tools/misc/make_synthetic_citypersons.py (160 x 320 frames, pedestrians 24-140 px tall).
# Frames and people are ~1/6 of CityPersons' size, so Table I's default boxes and GDFL's 120 px
# small / large split are halved; everything else is the CityPersons GDFL model, evaluated with the
# real CityPersons miss-rate protocol on the synthetic val split. Trained from scratch in minutes
# (no ImageNet VGG16 here), the backbone gets BatchNorm and the inputs unit-variance
# normalisation; both are demo-only choices. `init_cfg=None`: random (Xavier) backbone weights by
# design, the only mmped config without ImageNet initialisation.
_base_ = [
    './_base_/gdfl_vgg16.py', './_base_/citypersons.py', './_base_/schedule_adam_40e.py'
]

data_root = 'demo_out/data/'
model = dict(
    # RGB, ImageNet mean / std (no pretrained weights to match; unit variance helps from scratch)
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(widen_factor=0.125, norm_cfg=dict(type='BN'), init_cfg=None),
    neck=dict(in_channels=(32, 64, 64, 64, 32), mask_channels=32),
    bbox_head=dict(
        in_channels=(64, 64, 64, 32),
        anchor_generator=dict(
            heights=((20., 30., 40.), (55., 65., 75.), (90., 105., 120.), (135., 150., 165.))),
        mask_target=dict(height_thresholds=(60., ))),
    test_cfg=dict(nms_pre=300, score_thr=0.05, max_per_img=100))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(320, 160), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 160), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    batch_sampler=None,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        train_filter=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val_gt.json')
test_evaluator = val_evaluator

max_iters = 300
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.8)], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=2e-3, weight_decay=1e-4))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                    save_best=None),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
