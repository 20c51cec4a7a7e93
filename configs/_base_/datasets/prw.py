# PRW person search (Zheng et al., CVPR 2017), read from the original release:
#   data/PRW/frames/*.jpg, annotations/*.jpg.mat, frame_train.mat, frame_test.mat,
#   query_info.txt
# The COCO-style conversion with person_id works too: ann_file='train_pid.json' / 'test_pid.json'.
dataset_type = 'PRWDataset'
data_root = 'data/PRW/'
backend_args = None

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadPersonSearchAnnotations', with_bbox=True),
    # shorter side 600 (BUFF sec. 5.2 and Tables 5 / 6; the longer side is not bounded: 10000
    # is never reached): PRW frames become 1067 x 600. The OIM reference and Table 7's
    # "600 x 1000" bound the longer side by 1000 instead (PRW: 1000 x 562): scale=(1000, 600)
    dict(type='Resize', scale=(10000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackPersonSearchInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(10000, 600), keep_ratio=True),
    dict(type='LoadPersonSearchAnnotations', with_bbox=True),
    dict(type='PackPersonSearchInputs')
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
        ann_file='frame_train.mat',
        data_prefix=dict(img='frames/'),
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
        ann_file='frame_test.mat',
        query_file='query_info.txt',
        data_prefix=dict(img='frames/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# whole gallery (6,112 frames minus the query's own); cross_camera=True for the variant
val_evaluator = dict(type='PersonSearchMetric', det_thresh=0.5, cross_camera=False)
test_evaluator = val_evaluator
