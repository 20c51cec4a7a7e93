# Table VII column 10: two-scale attention with ZIZOM on both conv4_3 and conv5_3 (conv5_3 zooms in
# on conv4_3 and out on conv6_2, its adjacent backbone outputs).
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(neck=dict(zizom_layers=(0, 1)))
