# Table VII column 5: multi-scale spatial-channel attention (CA-GDFL) without ZIZOM.
_base_ = './ca-gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(neck=dict(zizom_layers=()))
