# Table VII column 11: ZIZOM on the plain conv4_3 features (no attention, no mask loss).
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(neck=dict(with_attention=False, zizom_layers=(0, )))
