# GDFL for CityPersons: two more extra layers (conv8_2, conv9_2) for the largest people; their
# default boxes (380-540, 620-900 px) are our choice (the paper does not list them).
_base_ = './gdfl_vgg16.py'

model = dict(
    backbone=dict(
        out_layers=('conv3_3', 'conv4_3', 'conv5_3', 'conv6_2', 'conv7_2', 'conv8_2',
                    'conv9_2'),
        num_extra_blocks=4),
    neck=dict(
        in_channels=(256, 512, 512, 512, 256, 256, 256),
        in_strides=(4, 8, 16, 32, 64, 128, 256),
        det_indices=(1, 2, 3, 4, 5, 6),
        layer_classes=(1, 1, 2, 2, 2, 2)),
    bbox_head=dict(
        in_channels=(512, 512, 512, 256, 256, 256),
        anchor_generator=dict(
            strides=(8, 16, 32, 64, 128, 256),
            heights=((40., 60., 80.), (110., 130., 150.), (180., 210., 240.),
                     (270., 300., 330.), (380., 460., 540.), (620., 760., 900.)))))
