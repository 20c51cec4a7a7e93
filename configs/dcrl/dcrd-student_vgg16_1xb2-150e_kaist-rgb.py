# DCRD-PDN student architecture: RGB-only VGG16 Faster R-CNN with the segmentation tasks of the
# teacher in both stages. Trained alone it is the "Baseline" of Table IV; it is also the config
# to test / deploy a student trained by distillation (dcrd_vgg16_1xb2-150e_kaist.py), whose
# checkpoint loads into this model (the distillation-only keys are reported as unexpected).
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']

model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='DetDataPreprocessor',
        mean={{_base_.rgb_mean}},
        std={{_base_.rgb_std}},
        bgr_to_rgb=True,
        pad_size_divisor=16),
    type='SegAuxFasterRCNN',
    backbone=dict(_delete_=True, type='VGG16Stream', in_channels=3,
                  pretrained={{_base_.vgg16_pretrained}}),
    rpn_seg_head=dict(in_channels=512),
    roi_head=dict(type='SegAuxRoIHead', fusion=None, seg_head=dict(in_channels=512)))

# the paired pipelines of the KAIST base config (the distillation configs use them: the
# teacher needs the thermal image)
paired_train_pipeline = {{_base_.train_pipeline}}
paired_test_pipeline = {{_base_.test_pipeline}}

# visible images only (img_path of KAISTDataset)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'condition',
                   'instances')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# student schedule of the paper: SGD, lr 1e-3, momentum 0.9, 150 epochs (no decay given)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-4))
param_scheduler = []
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=150, val_interval=10)
