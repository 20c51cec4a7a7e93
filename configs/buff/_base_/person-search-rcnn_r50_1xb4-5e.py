# Task-joint baseline of BUFF (sec. 4.1): Faster R-CNN on ResNet-50 conv1..conv4, 9 anchors,
# RoI max pooling 14x7, detection head conv + FC 256, re-ID head conv5 + GAP (2048-d), OIM loss;
# with the paper's schedule on PRW in iterations. Model and schedule only: the runnable configs
# add a dataset (CUHK-SYSU configs set their own iteration counts).
model = dict(
    type='PersonSearchRCNN',
    # ImageNet ResNet-50 (torchvision key names) for conv1..conv5 and the BUF transforms:
    # --cfg-options model.pretrained_trunk=checkpoints/resnet50-0676ba61.pth
    pretrained_trunk=None,
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=16),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=3,  # conv2..conv4; conv1 is the stem; conv5 lives in the re-ID head
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(0, 1, 2),
        frozen_stages=0,  # conv1 and its BN fixed (OIM setting); other BNs trained
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    # fg_attention: None (no segmentation head / FAM); BUFF sets a ForegroundAttention
    fam_levels=(4, ),
    rpn_head=dict(
        type='RPNHead',
        in_channels=1024,
        feat_channels=512,
        # 9 anchors per location (sec. 4.1; the OIM reference BUFF follows): scales {8, 16, 32}
        # x ratios {0.5, 1, 2}. Sec. 5.2 lists ratios {1, 2} (6 anchors): ratios=[1.0, 2.0]
        anchor_generator=dict(
            type='AnchorGenerator', scales=[8, 16, 32], ratios=[0.5, 1.0, 2.0], strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        type='PersonSearchRoIHead',
        # RoI max pooling (sec. 4.1, [9] = Fast R-CNN), CPU and GPU; RoIAlign instead:
        # roi_layer=dict(type='RoIAlign', output_size=(14, 7), sampling_ratio=0)
        bbox_roi_extractor=dict(
            type='SingleLevelRoIExtractor',
            roi_layer=dict(type='mmped.RoIPool', output_size=(14, 7)),
            out_channels=1024,
            featmap_strides=[16]),
        bbox_head=dict(
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
            roi_layer=dict(type='mmped.RoIPool', output_size=(14, 7)),
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
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3,
                match_low_quality=True, ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=12000, max_per_img=2000, nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                match_low_quality=False, ignore_iof_thr=-1),
            # 64 RoIs per image, half positive (sec. 5.2)
            sampler=dict(
                type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        # 128 proposals after NMS (sec. 4.1)
        rpn=dict(nms_pre=6000, max_per_img=128, nms=dict(type='nms', iou_threshold=0.7),
                 min_bbox_size=0),
        rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.4), max_per_img=100),
        use_gt_boxes=False))  # True: the "labelled" (ground-truth boxes) setting

# Sec. 5.2: SGD momentum 0.9, batch 4, weight decay 1e-4, lr 1e-3 for 5 epochs, x0.1 after the
# fourth, where an epoch is PRW's "11,408 training images, including the flipped images"
# (5,704 frames and their mirror images): 11,408 / 4 = 2,852 iterations per epoch, 14,260 in
# all, the drop at 11,408. Random flipping (p = 0.5) over these iterations shows every frame and
# its mirror image 5 times each on average. No warm-up and no gradient clipping (not in the
# paper). The runnable configs save a checkpoint per paper epoch.
paper_epoch_iters = 2852
train_cfg = dict(type='IterBasedTrainLoop', max_iters=5 * paper_epoch_iters,
                 val_interval=5 * paper_epoch_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=5 * paper_epoch_iters,
         milestones=[4 * paper_epoch_iters], gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=4)
