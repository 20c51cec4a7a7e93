# ResNet-50 re-ID baseline ("Bag of Tricks"): mmpretrain's ResNet-50 classifier with last stride
# 1, GAP, BNNeck, label-smoothed ID loss; batch-hard triplet optional
# (loss_triplet=dict(type='TripletLoss', margin=0.3)).
# Differences from mmpretrain's ResNet-50: the classifier type, the last stride, the BNNeck head,
# ImageNet initialisation (torchvision's ResNet-50, `torchvision://resnet50`: downloaded on first
# use or found in $MMPED_CHECKPOINTS) and the RGB ImageNet mean / std those weights expect.
# Train from scratch with `--cfg-options model.backbone.init_cfg=None`.
_base_ = ['mmpretrain::_base_/models/resnet50.py', '../imagenet_preprocessing.py']

model = dict(
    _scope_='mmped',
    type='PedImageClassifier',
    data_preprocessor={{_base_.imagenet_rgb_cls_preprocessor}},
    # mmpretrain's types by name: inherited nested dicts carry no scope, and the unprefixed names
    # would resolve to mmdet's ResNet under mmped
    backbone=dict(
        type='mmpretrain.ResNet',
        strides=(1, 2, 2, 1),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        _delete_=True,
        type='BNNeckReIDHead',
        num_classes=751,
        in_channels=2048,
        loss_cls=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        loss_triplet=None,
        feat_after_bn=True))
