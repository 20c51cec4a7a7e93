# Da-HAR (Wu et al., AAAI 2020): ResNet-101 main net with self-mask blocks after stages 1-3
# (layer1..layer3), side branch fusing layer2..layer4 at the stride-16 resolution into 1024
# channels, masked attention (mask branch supervised by person masks) + SRN attention.
# Main-net and side-branch probabilities are averaged at test time. Set num_classes per dataset.
# Differences from mmpretrain's ResNet-101 classifier (the base): the DAHAR model and heads,
# ImageNet initialisation (torchvision's ResNet-101, `torchvision://resnet101`, as the paper;
# downloaded on first use or found in $MMPED_CHECKPOINTS) and the RGB ImageNet mean / std those
# weights expect. Train from scratch with `--cfg-options model.backbone.init_cfg=None`.
_base_ = ['mmpretrain::_base_/models/resnet101.py', '../../_base_/imagenet_preprocessing.py']

num_classes = 14
model = dict(
    _scope_='mmped',
    type='DAHAR',
    data_preprocessor={{_base_.imagenet_rgb_cls_preprocessor}},
    # mmpretrain's types by name: inherited nested dicts carry no scope, and the unprefixed names
    # would resolve to mmdet's ResNet under mmped
    backbone=dict(
        type='mmpretrain.ResNet',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet101')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    # coarse step: SelfMaskBlock after these stages (0-based: layer1, layer2, layer3)
    self_mask_stages=(0, 1, 2),
    self_mask_cfg=dict(reduction=4, mask_channels=1, residual=False),
    head=dict(
        _delete_=True,
        type='MultiLabelAttrHead',
        num_classes=num_classes,
        in_channels=2048,
        # eq. 1: BCE summed over the attributes, averaged over the samples
        loss=dict(type='WeightedBCELoss', mode='none', reduction='batchmean')),
    side_stages=(1, 2, 3),
    side_neck=dict(
        type='MultiLevelFusion',
        out_channels=1024,
        target_level=1,
        fusion='sum',
        num_blocks=2,
        block='bottleneck'),
    side_head=dict(
        type='MaskedAttentionHead',
        num_classes=num_classes,
        in_channels=1024,
        with_mask=True,
        num_mask_blocks=2,
        attention_channels=512,
        loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    side_loss=dict(type='WeightedBCELoss', mode='none', reduction='batchmean'),
    # score_fusion: 'mean' | 'main' | 'side'; five_crop=dict(crop_size=224) for the in-model
    # five-crop average (or `mim test ... --tta`)
    test_cfg=dict(score_fusion='mean', five_crop=None))

# SGD, batch 32, momentum 0.9, weight decay 5e-4, lr 0.003, gamma 0.1 (the paper); the epoch
# count and the step epochs are not given in the paper: 30 epochs, steps at 20 and 25.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.003, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[20, 25], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
# exact training-split positive ratios for the weighted losses (pos_ratio='train_split');
# before training, count the samples with person-mask files and refuse a masked-attention run
# where every sample falls back to a box mask (opt out: --cfg-options allow_box_masks=True)
custom_hooks = [dict(type='mmped.AttributePosRatioHook'), dict(type='mmped.PersonMaskCheckHook')]
allow_box_masks = False
