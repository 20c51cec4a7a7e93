# Table VII column 6: self multi-scale spatial-channel attention, trained by the detection loss only
# (no segmentation branch, no mask supervision), no ZIZOM.
_base_ = './ca-gdfl_vgg16-no-zizom_4xb8-12e_caltech.py'

model = dict(neck=dict(with_seg=False))
