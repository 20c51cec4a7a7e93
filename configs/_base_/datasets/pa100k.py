# PA-100K: 80k / 10k / 10k images, 26 attributes (the paper's 8:1:1 split): train on train,
# select checkpoints on val (save_best), report test (`mim test`) separately.
dataset_type = 'PA100KDataset'
data_root = 'data/PA-100K/'

# ImageNet mean / std; inputs resized to 256 x 192 (h x w), the usual attribute input
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(192, 256)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', )),
]
# the test pipeline with a horizontal flip before packing
train_pipeline = [
    *test_pipeline[:-1],
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    test_pipeline[-1],
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline=test_pipeline))
# the test split, loaded as the validation split
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(type='AttributeMetric')
test_evaluator = val_evaluator
