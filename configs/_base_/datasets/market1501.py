# Market-1501: 751 train ids; 3,368 queries vs 15,913 gallery images (junk dropped).
dataset_type = 'Market1501Dataset'
data_root = 'data/Market-1501-v15.09.15/'

# ImageNet mean / std; inputs resized to 256 x 128 (h x w), the usual re-ID input
data_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

reid_meta_keys = ('sample_idx', 'img_path', 'pid', 'camid', 'split')
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(128, 256)),
    dict(type='mmpretrain.PackInputs', meta_keys=reid_meta_keys),
]
# "Bag of Tricks" augmentation between resizing and packing: flip, pad 10 + random crop,
# random erasing
train_pipeline = [
    *test_pipeline[:-1],
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.RandomCrop', crop_size=(256, 128), padding=10),
    # erase with the ImageNet mean (BGR: the image is not converted yet)
    dict(
        type='mmpretrain.RandomErasing',
        erase_prob=0.5,
        min_area_ratio=0.02,
        max_area_ratio=0.4,
        mode='const',
        fill_color=(104, 116, 124)),
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
# one dataset with the query items first and the gallery items after them
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetric', metric='euclidean', protocol='market1501')
test_evaluator = val_evaluator
