# CA-GDFL model: GDFL with the spatial attention replaced by channel-adaptive attention and
# scale-specific segmentation branches on every detection layer (Table II ranges, eq. 7-9).
_base_ = './gdfl_vgg16.py'

model = dict(
    neck=dict(
        _delete_=True,
        type='ChannelAdaptiveAttention',
        in_channels=(256, 512, 512, 512, 256),
        in_strides=(4, 8, 16, 32, 64),
        det_indices=(1, 2, 3, 4),
        feat_channels=256,
        channel_adaptive=True,
        with_seg=True,
        seg_stride=4,
        zizom_layers=(0, )),
    bbox_head=dict(
        mask_target=dict(
            _delete_=True,
            type='ScaleMaskTargets',
            height_ranges=((30, 89), (90, 169), (170, 259), (260, None)),
            out_of_range='ignore')))
