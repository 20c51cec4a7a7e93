# Da-HAR on RAP v1 (51 attributes, partition 0, uncertain labels ignored), BCE loss (eq. 1) on
# both branches ("o." in Table 2: mA 73.78, Acc 68.67, Prec 84.54, Rec 76.84, F1 80.50).
# Inputs keep h / w = 2: resize to 256 x 128, corner / centre crops of heights
# {256, 224, 192, 168, 128} with half their height as width, resized to 224 x 112.
_base_ = [
    './_base_/dahar_r101.py', '../_base_/datasets/rap.py', '../_base_/default_runtime.py'
]

num_classes = 51
model = dict(
    head=dict(num_classes=num_classes), side_head=dict(num_classes=num_classes))

data_root = 'data/RAP/'
person_mask = dict(
    type='LoadPersonMask',
    data_root=data_root,
    mask_dir='person_masks',
    img_dir='RAP_dataset',
    name_template='{rel}.png',
    frame='crop',
    fallback='box')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    person_mask,
    dict(type='mmpretrain.Resize', scale=(128, 256)),
    dict(type='RandomCornerCrop', crop_sizes=(256, 224, 192, 168, 128), scale=(112, 224),
         aspect_ratio=2.0, max_distort=0),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', 'gt_seg_map')),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(128, 256)),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', )),
]
tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(128, 256)),
    dict(
        type='TestTimeAug',
        transforms=[[dict(type='FiveCrop', crop_size=(112, 224), index=i) for i in range(5)],
                    [dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', ))]]),
]

train_dataloader = dict(batch_size=32, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
default_hooks = dict(checkpoint=dict(interval=5, save_best='attr/mA', rule='greater'))

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
