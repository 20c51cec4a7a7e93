# Table VII column 3: single-scale attention (pedestrian vs background, S_c = 1) encoded into all
# four detection layers, instance-sensitive weight, no ZIZOM.
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(
    neck=dict(num_classes=2, layer_classes=(1, 1, 1, 1), zizom_layers=()),
    bbox_head=dict(mask_target=dict(height_thresholds=())))
