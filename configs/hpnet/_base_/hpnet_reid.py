# Settings shared by the HP-net re-ID configs: the model with the re-ID head (GAP + FC feature,
# softmax identity loss, L2-normalised feature ranked by cosine distance), the pipelines of the
# authors' released files (resize to 256 x 256, random 224 crop + mirror; test: centre 224 crop)
# and the schedule of every training stage. Stage 3 is active here; the stage-1 / stage-2
# configs select theirs (`stage1_*`, `stage2_*`). The paper gives no schedule: SGD, momentum
# 0.9, weight decay 5e-4, batch 32 (see configs/hpnet/README.md).
_base_ = ['../../_base_/models/hpnet_bninception.py', '../../_base_/default_runtime.py']

# stage 3 (see below): every weight comes from the stage-2 checkpoint (load_from), so no
# ImageNet file is needed (stage 1 sets the ImageNet init_cfg)
model = dict(
    stage=3,
    backbone=dict(init_cfg=None),
    head=dict(
        _delete_=True,
        type='HPNetReIDHead',
        num_classes=751,
        feat_dim=512,
        loss=dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0)))

hpnet_meta_keys = ('sample_idx', 'img_path', 'pid', 'camid', 'split')
hpnet_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='mmpretrain.RandomCrop', crop_size=224),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.PackInputs', meta_keys=hpnet_meta_keys),
]
hpnet_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=(256, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='mmpretrain.PackInputs', meta_keys=hpnet_meta_keys),
]

# stage 3: GAP + FC on the frozen M-net + AF-net features
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=10,
                        eta_min=1e-5)]
train_cfg = dict(by_epoch=True, max_epochs=10, val_interval=2)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
# Market-1501 and VIPeR have no validation split: the validation loop runs on the test split
# for monitoring only, and the last checkpoint of the fixed schedule is the model (configs with
# a validation split, CUHK03 and JSTL, set save_best)
default_hooks = dict(checkpoint=dict(interval=5, max_keep_ckpts=2, save_best=None))

# stage 1: the M-net alone
stage1_optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=10.0))
stage1_param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=5),
    dict(type='MultiStepLR', by_epoch=True, milestones=[40, 50], gamma=0.1),
]
stage1_train_cfg = dict(max_epochs=60, val_interval=10)

# stage 2: MDA branches fine-tuned from the M-net
stage2_optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=10.0))
stage2_param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, T_max=20,
                               eta_min=1e-6)]
stage2_train_cfg = dict(max_epochs=20, val_interval=5)

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
