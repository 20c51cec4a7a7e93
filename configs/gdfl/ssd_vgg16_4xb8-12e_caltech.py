# Baseline of the ablations (Table VII "multi-layer detection"): the converted VGG16 backbone with
# the same four detection layers, default boxes and losses, no attention, no ZIZOM, no mask loss.
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(
    backbone=dict(out_layers=('conv4_3', 'conv5_3', 'conv6_2', 'conv7_2')),
    neck=None)
