# Input normalisation of torchvision's ImageNet weights (RGB, 0-255 scale), for the classifier
# configs that start from them (attribute / re-ID baselines, Da-HAR).
imagenet_rgb_cls_preprocessor = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
