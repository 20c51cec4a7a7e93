# Table VII column 1 "single-layer detection": only conv6_2 predicts pedestrians of all scales
# (all twelve Table I default boxes on that layer). Only the first extra block is built, so every
# parameter takes part in the loss (DDP without find_unused_parameters).
_base_ = './ssd_vgg16_4xb8-12e_caltech.py'

model = dict(
    backbone=dict(out_layers=('conv6_2', ), num_extra_blocks=1),
    bbox_head=dict(
        in_channels=(512, ),
        anchor_generator=dict(
            strides=(32, ),
            heights=((40., 60., 80., 110., 130., 150., 180., 210., 240., 270., 300., 330.), ))))
