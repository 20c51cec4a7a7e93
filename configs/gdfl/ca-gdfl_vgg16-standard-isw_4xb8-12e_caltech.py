# Section V-D: CA-GDFL with the standard instance-sensitive weight, i.e. pedestrians outside a
# layer's height range count as background for that layer instead of being ignored (eq. 8).
_base_ = './ca-gdfl_vgg16_4xb8-12e_caltech.py'

model = dict(bbox_head=dict(mask_target=dict(out_of_range='background')))
