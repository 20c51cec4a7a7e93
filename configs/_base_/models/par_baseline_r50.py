# ResNet-50 multi-label attribute baseline (mmped PedImageClassifier on mmpretrain parts):
# GAP, linear + BN head, weighted BCE with exp weighting. Set num_classes per dataset.
model = dict(
    type='PedImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        out_indices=(3, ),
        style='pytorch',
        # ImageNet weights from a local path, e.g.
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_imagenet.pth'),
    ),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='MultiLabelAttrHead',
        num_classes=26,
        in_channels=2048,
        bn=True,
        # p = exact positive ratio of the training split (AttributePosRatioHook, below)
        loss=dict(type='WeightedBCELoss', mode='exp', pos_ratio='train_split',
                  reduction='batchmean')))
custom_hooks = [dict(type='mmped.AttributePosRatioHook')]
