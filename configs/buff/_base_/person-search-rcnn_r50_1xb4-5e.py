# Task-joint baseline of BUFF (sec. 4.1): Faster R-CNN on ResNet-50 conv1..conv4, RoI pooling
# 14x7, detection head conv + FC 256, re-ID head conv5 + GAP (2048-d), OIM loss; with the paper's
# schedule. Model and schedule only: the runnable configs add a dataset.
# mmdet's Faster R-CNN R50-C4 (conv1..conv4 trunk, RPN on conv4, RoIAlign 14 on conv4) with the
# paper's changes stated below: pytorch-style ResNet-50 from torchvision's ImageNet weights with
# RGB ImageNet mean / std (mmdet's base uses the Caffe ResNet with BGR inputs), trained BN, the
# OIM RPN anchors, RoI 14 x 7, the person-search RoI head (detection conv + FC 256 instead of
# the shared conv5, re-ID conv5 + GAP + OIM), 64 RoIs per image and the test-time proposal /
# NMS settings of sec. 4.1. The COCO data, schedule and evaluator of mmdet's full c4 config are
# not inherited (the dataset configs and the schedule below replace them).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py'

model = dict(
    _scope_='mmped',
    type='PersonSearchRCNN',
    # ImageNet ResNet-50 (torchvision's weights, `torchvision://resnet50`: downloaded on first use
    # or found in $MMPED_CHECKPOINTS) for conv1..conv4, the re-ID conv5 and the BUF transforms;
    # `--cfg-options model.pretrained_trunk=None` trains from scratch
    pretrained_trunk='torchvision://resnet50',
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16),
    backbone=dict(
        # conv2..conv4 (num_stages=3, from the base); conv1 is the stem; conv5 lives in the
        # re-ID head
        out_indices=(0, 1, 2),
        frozen_stages=0,  # conv1 and its BN fixed (OIM setting); other BNs trained
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),  # the trunk is loaded by pretrained_trunk
    # fg_attention: None (no segmentation head / FAM); BUFF sets a ForegroundAttention
    fam_levels=(4, ),
    rpn_head=dict(
        feat_channels=512,
        anchor_generator=dict(scales=[8, 16, 32], ratios=[1.0, 2.0]),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0)),
    roi_head=dict(
        _scope_='mmped',
        type='PersonSearchRoIHead',
        shared_head=None,
        bbox_roi_extractor=dict(roi_layer=dict(output_size=(14, 7))),
        bbox_head=dict(
            _delete_=True,
            type='PersonSearchBBoxHead',
            in_channels=1024,
            roi_feat_size=(14, 7),
            conv_out_channels=256,
            fc_out_channels=256,
            num_classes=1,
            reg_class_agnostic=True,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),
        reid_roi_extractor=dict(
            type='BottomUpFusionRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=(14, 7), sampling_ratio=0),
            in_channels=(64, 256, 512, 1024),
            featmap_strides=(2, 4, 8, 16),
            levels=(4, )),  # BUF_c4 = the baseline (Table 4)
        reid_head=dict(
            type='PersonSearchReIDHead',
            in_channels=1024,
            planes=512,
            loss_reid=dict(
                type='OIMLoss',
                num_features=2048,
                num_pids=483,  # 482 ids in the raw files, 483 labels in the json conversion
                queue_size=500,
                scale=10.0,
                momentum=0.5,
                loss_weight=0.5))),  # lambda of Eq. 4
    # 64 RoIs per image, half positive (sec. 5.2)
    train_cfg=dict(rcnn=dict(sampler=dict(num=64, pos_fraction=0.5))),
    test_cfg=dict(
        rpn=dict(max_per_img=128),  # 128 proposals after NMS (sec. 4.1)
        rcnn=dict(nms=dict(iou_threshold=0.4)),
        use_gt_boxes=False))  # True: the "labelled" (ground-truth boxes) setting

# SGD momentum 0.9, batch 4, weight decay 1e-4, lr 1e-3, x0.1 after epoch 4, 5 epochs
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=5, by_epoch=True, milestones=[4], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=10.0, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=4)
