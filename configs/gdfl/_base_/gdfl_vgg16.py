# GDFL (Lin et al., IEEE TIP) model: VGG16 + scale-aware attention (S_c = 2, 120 px threshold) +
# ZIZOM on conv4_3, Table I default boxes, softmax + smooth L1 (x2) + instance-sensitive mask loss,
# hard negative mining 3:1, NMS 0.45.
# Backbone: ImageNet VGG16 as converted for SSD (fc6 / fc7 reduced to convolutions, Caffe
# weights; mmdet's `open-mmlab://vgg16_caffe`, downloaded on first use or found in
# $MMPED_CHECKPOINTS), so the input is what those Caffe weights expect: BGR, ImageNet mean
# subtracted, std 1. Train from scratch with `--cfg-options model.backbone.init_cfg=None`.
# Not built on mmdet's `_base_/models/ssd300.py`: GDFL replaces its backbone (VGG16Det with the
# conv3_3 tap and the ZIZOM / attention inputs), its neck and its head, so every part would
# need `_delete_`.
vgg16_checkpoint = 'open-mmlab://vgg16_caffe'

model = dict(
    type='GDFL',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[1, 1, 1],
        bgr_to_rgb=False,
        pad_size_divisor=1),
    backbone=dict(
        type='VGG16Det',
        out_layers=('conv3_3', 'conv4_3', 'conv5_3', 'conv6_2', 'conv7_2'),
        num_extra_blocks=2,
        widen_factor=1.0,
        l2_norm_scale=20.0,
        init_cfg=dict(type='Pretrained', checkpoint=vgg16_checkpoint)),
    neck=dict(
        type='GraininessAttention',
        in_channels=(256, 512, 512, 512, 256),
        in_strides=(4, 8, 16, 32, 64),
        att_indices=(0, 1),
        det_indices=(1, 2, 3, 4),
        num_classes=3,  # background, small (< 120 px), large
        layer_classes=(1, 1, 2, 2),  # eq. 1-2: M_S on conv4_3 / conv5_3, M_L on conv6_2 / conv7_2
        mask_channels=512,
        dilations=(2, 2, 2),
        mask_stride=1,
        zizom_layers=(0, ),  # ZIZOM on the attention-encoded conv4_3
        channel_attention=False),
    bbox_head=dict(
        type='GDFLHead',
        num_classes=1,
        in_channels=(512, 512, 512, 256),
        anchor_generator=dict(
            type='PedestrianAnchorGenerator',
            strides=(8, 16, 32, 64),
            heights=((40., 60., 80.), (110., 130., 150.), (180., 210., 240.),
                     (270., 300., 330.)),
            aspect_ratio=0.41),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            clip_border=True,
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        loc_weight=2.0,
        mask_target=dict(type='ScaleMaskTargets', height_thresholds=(120., )),
        loss_mask=dict(type='InstanceSensitiveMaskLoss', alpha=3.0, beta=10.0,
                       loss_weight=1.0)),
    train_cfg=dict(
        assigner=dict(
            type='MaxIoUAssigner',
            pos_iou_thr=0.5,
            neg_iou_thr=0.5,
            min_pos_iou=0.,
            ignore_iof_thr=0.5,
            gt_max_assign_all=False),
        sampler=dict(type='PseudoSampler'),
        smoothl1_beta=1.,
        allowed_border=-1,
        pos_weight=-1,
        neg_pos_ratio=3,
        debug=False),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.01,
        max_per_img=200))

