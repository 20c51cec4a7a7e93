# Caltech Pedestrian (640 x 480). Frames and COCO jsons come from
#   python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
#       --sets 0 1 2 3 4 5 --skip 3 --split train     (the "10x" training set)
#   python tools/dataset_converters/caltech_seq_to_coco.py data/caltech data/caltech/coco \
#       --sets 6 7 8 9 10 --skip 30 --split test      (the standard 4,024 test frames)
# giving data/caltech/coco/{images/,train.json,test.json}. For the "new" test annotations
# (Zhang et al. CVPR'16) point the evaluator's ann_file at their bbGt text folder.
# Splits: Caltech has no validation split and the test sets must not select checkpoints, so the
# training set set05 (all its videos) is held out for validation (`sequences`, see
# CaltechDataset) and training uses set00-set04; testing is on the standard test frames. To train
# on all six training sets as the papers do for their final models, set
# `train_dataloader.dataset.sequences=None` (and validate elsewhere).
# Evaluation: dbEval protocol, Reasonable (and All / Heavy / ...), detections standardised
# to 0.41 aspect as the original toolbox (MissRateMetric(resize_dets=False) for the variant).
_base_ = './pedestrian_det_pipeline.py'

dataset_type = 'CaltechDataset'
data_root = 'data/caltech/'
backend_args = None
img_scale = (640, 480)
train_sequences = ['set00', 'set01', 'set02', 'set03', 'set04']
val_sequences = ['set05']

train_pipeline = [
    *_base_.train_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.test_finish
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
        sequences=train_sequences,
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
        ann_file='coco/train.json',
        data_prefix=dict(img='coco/images/'),
        sequences=val_sequences,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
# the same loader on the test split
test_dataloader = dict(
    val_dataloader,
    dataset=dict(val_dataloader['dataset'], ann_file='coco/test.json', sequences=None))

# the metric reads the ground truth of the evaluated frames only (set05's for validation)
val_evaluator = dict(
    type='MissRateMetric',
    ann_file=data_root + 'coco/train.json',
    protocol='caltech',
    setups=['Reasonable', 'All', 'Heavy'])
test_evaluator = dict(val_evaluator, ann_file=data_root + 'coco/test.json')
