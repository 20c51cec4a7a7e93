# WIDER-Attribute: person crops cut from the boxes, unspecified labels (0) ignored; mAP.
# Splits: wider_attribute_trainval.json holds the official train and val images (file_name
# under train/ and val/). Training uses the train images (split='train', Da-HAR's Table 1
# protocol), checkpoints are selected on the official val images (split='val' of the same
# file) and the test file is reported separately (`mim test`). Training on train + val
# (split='trainval', SRN and the last row of Da-HAR's Table 3) leaves no validation set:
# such configs train the fixed schedule without selection. Every data info has img_idx and
# target_idx (person index within its image) for per-crop files, e.g. person masks.
_base_ = './pa100k.py'

dataset_type = 'WIDERAttributeDataset'
data_root = 'data/WIDER-Attribute/'

pack = dict(
    type='mmpretrain.PackInputs',
    algorithm_keys=('gt_valid', ),
    meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'bbox', 'scene_id',
               'img_idx', 'target_idx'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    dict(type='mmpretrain.Resize', scale=(192, 256)),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    pack,
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    dict(type='mmpretrain.Resize', scale=(192, 256)),
    pack,
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='wider_attribute_trainval.json',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='wider_attribute_trainval.json',
        split='val',
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='wider_attribute_test.json',
        split='test',
        pipeline=test_pipeline))
val_evaluator = dict(type='WIDERAttributeMetric')
test_evaluator = val_evaluator
