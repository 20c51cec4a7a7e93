# Da-HAR on WIDER-Attribute (person crops from the boxes, unspecified labels ignored), BCE loss
# (eq. 1) on both branches. Paper: Table 1, mAP 87.3 (train split, full-patch test).
_base_ = [
    './_base_/dahar_r101.py', '../_base_/datasets/wider_attribute.py',
    '../_base_/default_runtime.py'
]

num_classes = 14
model = dict(
    head=dict(num_classes=num_classes), side_head=dict(num_classes=num_classes))

# per-person pseudo masks alongside the dataset (crop frame); box masks where a file is missing
data_root = 'data/WIDER-Attribute/'
person_mask = dict(
    type='LoadPersonMask',
    data_root=data_root,
    mask_dir='person_masks',
    img_dir='Image',
    name_template='{rel}_{x1}_{y1}_{x2}_{y2}.png',
    frame='crop',
    fallback='box')
meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'bbox', 'scene_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    person_mask,
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='RandomCornerCrop', crop_sizes=(256, 224, 192, 168, 128), scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', 'gt_seg_map'),
         meta_keys=meta_keys),
]
# "Full" test of the paper: the whole crop resized to 256 x 256
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', ), meta_keys=meta_keys),
]
# "Crops" test of the paper (`mim test ... --tta`): average over the five 224 crops
tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(
        type='TestTimeAug',
        transforms=[[dict(type='FiveCrop', crop_size=224, index=i) for i in range(5)],
                    [dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', ),
                          meta_keys=meta_keys)]]),
]

# Table 1 and Table 3 rows 1-6 train on the official train images only (row 7: trainval config)
train_dataloader = dict(batch_size=32, dataset=dict(split='train', pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=5, save_best='wider_attr/mAP', rule='greater'))

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
