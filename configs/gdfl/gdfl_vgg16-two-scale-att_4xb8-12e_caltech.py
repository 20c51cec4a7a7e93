# Table VII column 4: two-scale attention (small / large, 120 px), instance-sensitive weight,
# no ZIZOM.
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(neck=dict(zizom_layers=()))
