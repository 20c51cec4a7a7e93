# CA-GDFL for CityPersons: the six detection layers of the GDFL CityPersons model, the Table II
# ranges extended to the two extra layers (conv7_2 260-359, conv8_2 360-579, conv9_2 >= 580: our
# choice, the paper stops at conv7_2).
_base_ = './gdfl_vgg16_citypersons.py'

model = dict(
    neck=dict(
        _delete_=True,
        type='ChannelAdaptiveAttention',
        in_channels=(256, 512, 512, 512, 256, 256, 256),
        in_strides=(4, 8, 16, 32, 64, 128, 256),
        det_indices=(1, 2, 3, 4, 5, 6),
        feat_channels=256,
        channel_adaptive=True,
        with_seg=True,
        seg_stride=4,
        zizom_layers=(0, )),
    bbox_head=dict(
        mask_target=dict(
            _delete_=True,
            type='ScaleMaskTargets',
            height_ranges=((30, 89), (90, 169), (170, 259), (260, 359), (360, 579),
                           (580, None)),
            out_of_range='ignore')))
