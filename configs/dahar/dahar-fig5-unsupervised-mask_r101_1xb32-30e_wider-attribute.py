# Fig. 5, left masks of each triplet: the full Da-HAR model whose masked-attention mask branch is
# trained WITHOUT the auxiliary person-mask supervision (no LoadPersonMask, so no gt_seg_map and
# no side_loss_mask; the mask only learns through the attribute loss). Compare its masks with
# those of dahar_r101_1xb32-30e_wider-attribute.py (supervised) using
# tools/analysis/vis_dahar_masks.py.
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

meta_keys = ('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'bbox', 'scene_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CropPersonBox'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='RandomCornerCrop', crop_sizes=(256, 224, 192, 168, 128), scale=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_valid', ), meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
