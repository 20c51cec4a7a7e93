# DCRL-PDN (teacher): two-stream VGG16 Faster R-CNN with cross-modal feature learning (CFL)
# after conv1..conv5, segmentation tasks in both stages and modality-attention fusion (MAF).
# Liu et al., "Deep cross-modal representation learning and distillation for
# illumination-invariant pedestrian detection", IEEE TCSVT 2021. See README.md for the choices
# made where the paper is silent.
# Not built on an mmdet Faster R-CNN base: the two-stream VGG16, the single-level RPN / RoI head
# without FPN, the segmentation heads and the fusion RoI head would each need `_delete_`, more
# than the inherited train / test settings would save.
_base_ = [
    '../_base_/datasets/kaist_rgbt.py',
    '../_base_/default_runtime.py',
]

# ImageNet VGG16 (torchvision's weights, `torchvision://vgg16`: downloaded on first use or found
# in $MMPED_CHECKPOINTS), loaded into both streams; the inputs are normalised as those weights
# expect (RGB, ImageNet mean / std; the thermal stream with the same statistics, see README.md).
# Train from scratch with `--cfg-options model.backbone.pretrained=None`.
vgg16_pretrained = 'torchvision://vgg16'

# pedestrian anchors: h / w = 2.44 (w / h = 0.41), heights 25 px .. ~420 px at stride 16
anchor_scales = [1.0, 1.6, 2.56, 4.1, 6.55, 10.49, 16.78]

model = dict(
    type='MultispectralFasterRCNN',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='TwoStreamVGG',
        in_channels=(3, 3),
        cfl=dict(
            type='CrossModalFeatureLearning',
            alpha=0.5,  # shared fraction of the channels
            groups=2,  # G of the specific group convolution
            aggregation='attention',  # Eq. (4)-(6); 'average' = "w/o AAS"
            specific_kernel_size=3),
        cfl_stages=(1, 2, 3, 4, 5),
        pretrained=vgg16_pretrained),
    rpn_head=dict(
        type='RPNHead',
        in_channels=512,
        feat_channels=512,
        anchor_generator=dict(
            type='AnchorGenerator', scales=anchor_scales, ratios=[2.44], strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4),
        # softmax cross-entropy (Eq. (1)); also what the RPN distillation needs
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    # RPG-stage segmentation: 1x1 conv on the concatenated conv5 features (2 x 512)
    rpn_seg_head=dict(type='BoxMaskSegHead', in_channels=1024, loss_weight=1.0),
    roi_head=dict(
        type='MultispectralRoIHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=512,
            featmap_strides=[16]),
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=512,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=1,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0.0] * 4,
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),
        fusion=dict(
            type='ModalityAttentionFusion',
            in_channels=512,
            num_modalities=2,
            mode='attention',  # 'average' / 'linear' for Table III
            pool_size=(4, 5),
            hidden_channels=(256, )),
        # RDR-stage segmentation on the concatenated pooled RoI features
        seg_head=dict(type='BoxMaskSegHead', in_channels=1024, loss_weight=1.0),
        seg_mask_stride=4.0),
    train_cfg=dict(
        rpn=dict(
            # "an anchor is positive when IoU > 0.5"
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.3,
                min_pos_iou=0.5,
                match_low_quality=True,
                ignore_iof_thr=0.5),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        rpn_proposal=dict(
            nms_pre=6000,
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=0.5),
            # "batch size 64": read as 64 sampled RoIs per image (see README)
            sampler=dict(
                type='RandomSampler',
                num=64,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=6000,
            max_per_img=300,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(score_thr=0.01, nms=dict(type='nms', iou_threshold=0.5), max_per_img=100)))

# Adam, lr 1e-3, x0.1 after epochs 50 and 75, 100 epochs
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=100, by_epoch=True, milestones=[50, 75], gamma=0.1)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100, val_interval=10)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', interval=10, save_best='pedestrian/Reasonable-all', rule='less'))
auto_scale_lr = dict(enable=False, base_batch_size=2)
