# HydraPlus-Net (Liu et al., ICCV 2017): BN-Inception M-net, complete AF-net (three MDA modules,
# attention of block i applied to blocks 1..3, L = 8 channels), GAP + FC on the concatenation.
# `stage` picks the training step (1: M-net, 2: MDA branches, 3: final GAP + FC; see
# configs/hpnet/README.md); set the head per task (attribute head here, re-ID in the re-ID
# configs). `in_channels` of the heads is computed by the model.
model = dict(
    type='HPNet',
    backbone=dict(
        type='BNInception',
        # ImageNet BN-Inception from a local path (this module's or the Caffe-derived key
        # layout; the Caffe weights expect BGR 0-255 inputs minus [104, 117, 128], std 1), e.g.
        # init_cfg=dict(type='Pretrained', checkpoint='checkpoints/bn_inception_imagenet.pth'),
    ),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    branches=[
        dict(att_level=0, target_levels=(0, 1, 2)),
        dict(att_level=1, target_levels=(0, 1, 2)),
        dict(att_level=2, target_levels=(0, 1, 2)),
    ],
    num_att_channels=8,
    # 'paper': one copy of the later blocks per MDA module ("the M-net is duplicated three
    # times"), GAP + FC on the raw features; 'authors': the released model definitions
    # (unshared copy per attention channel, 512-d embeddings), see configs/hpnet/README.md
    af_layout='paper',
    with_cp=False,  # activation checkpointing of the AF-net block copies (stage 2 memory)
    attention_cfg=dict(norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'),
                       resize_mode='nearest'),  # as the authors' files
    stage=3,
    train_branches=None,
    predict_branch=None,  # stage 2: the last of train_branches
    head=dict(
        type='MultiLabelAttrHead',
        num_classes=26,
        # weighted sigmoid cross-entropy of DeepMAR (the paper's ref. [13]): exp(1 - p) on
        # positives, exp(p) on negatives, p = exact positive ratio of the training split
        # (set before training by AttributePosRatioHook); summed over the attributes and
        # averaged over the samples
        loss=dict(type='WeightedBCELoss', mode='exp', pos_ratio='train_split',
                  reduction='batchmean')))
