# ResNet-50 multi-label attribute baseline: mmpretrain's ResNet-50 classifier with its head
# replaced (mmped PedImageClassifier: GAP, linear + BN head, weighted BCE with exp weighting).
# Set num_classes per dataset.
# Differences from mmpretrain's ResNet-50: the classifier type and head, ImageNet initialisation
# (torchvision's ResNet-50, `torchvision://resnet50`: downloaded on first use or found in
# $MMPED_CHECKPOINTS) and the RGB ImageNet mean / std those weights expect. Train from scratch
# with `--cfg-options model.backbone.init_cfg=None`.
_base_ = ['mmpretrain::_base_/models/resnet50.py', '../imagenet_preprocessing.py']

model = dict(
    _scope_='mmped',
    type='PedImageClassifier',
    data_preprocessor={{_base_.imagenet_rgb_cls_preprocessor}},
    # mmpretrain's types by name: inherited nested dicts carry no scope, and the unprefixed names
    # would resolve to mmdet's ResNet under mmped
    backbone=dict(
        type='mmpretrain.ResNet',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        _delete_=True,
        type='MultiLabelAttrHead',
        num_classes=26,
        in_channels=2048,
        bn=True,
        # p = exact positive ratio of the training split (AttributePosRatioHook, below)
        loss=dict(type='WeightedBCELoss', mode='exp', pos_ratio='train_split',
                  reduction='batchmean')))
custom_hooks = [dict(type='mmped.AttributePosRatioHook')]
