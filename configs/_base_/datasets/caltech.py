# Caltech Pedestrian (640 x 480). Frames and COCO jsons come from
#   python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
#       --sets 0 1 2 3 4 5 --skip 3 --split train     (the "10x" training set)
#   python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
#       --sets 6 7 8 9 10 --skip 30 --split test      (the standard 4,024 test frames)
# giving data/caltech/coco/{images/,train.json,test.json}. For the "new" test annotations
# (Zhang et al. CVPR'16) point the evaluator's ann_file at their bbGt text folder.
# Evaluation: dbEval protocol, Reasonable (and All / Heavy / ...), detections standardised
# to 0.41 aspect as the original toolbox (MissRateMetric(resize_dets=False) for the variant).
dataset_type = 'CaltechDataset'
data_root = 'data/caltech/'
backend_args = None
img_scale = (640, 480)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='coco/train.json',
        data_prefix=dict(img='coco/images/'),
        # the usual training subset: persons >= 50 px and >= 65% visible
        train_filter=dict(min_height=50, min_vis=0.65),
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
        ann_file='coco/test.json',
        data_prefix=dict(img='coco/images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='MissRateMetric',
    ann_file=data_root + 'coco/test.json',
    protocol='caltech',
    setups=['Reasonable', 'All', 'Heavy'])
test_evaluator = val_evaluator
