# ResNet-50 re-ID baseline ("Bag of Tricks"): last stride 1, GAP, BNNeck, label-smoothed ID
# loss; batch-hard triplet optional (loss_triplet=dict(type='TripletLoss', margin=0.3)).
model = dict(
    type='PedImageClassifier',
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        out_indices=(3, ),
        strides=(1, 2, 2, 1),
        style='pytorch',
        # ImageNet weights from a local path, e.g.
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/resnet50_imagenet.pth'),
    ),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='BNNeckReIDHead',
        num_classes=751,
        in_channels=2048,
        loss_cls=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        loss_triplet=None,
        feat_after_bn=True))
