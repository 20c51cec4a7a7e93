# HydraPlus-Net (Liu et al., ICCV 2017): BN-Inception M-net, complete AF-net (three MDA modules,
# attention of block i applied to blocks 1..3, L = 8 channels), GAP + FC on the concatenation.
# `stage` picks the training step (1: M-net, 2: MDA branches, 3: final GAP + FC; see
# configs/hpnet/README.md); set the head per task (attribute head here, re-ID in the re-ID
# configs). `in_channels` of the heads is computed by the model.
# M-net initialisation: the ImageNet BN-Inception converted from Caffe by Cadene
# (pretrained-models.pytorch; downloaded on first use or found in $MMPED_CHECKPOINTS; its Caffe
# layer names are converted on loading). Those weights expect BGR 0-255 inputs minus
# [104, 117, 128], std 1, which is the data_preprocessor below. Stage 1 trains from it; stages 2
# and 3 start from the previous stage's checkpoint (load_from) and set init_cfg=None.
# Own model base: mmpretrain has no BN-Inception (inception_v2) classifier to inherit.
bninception_init = dict(
    type='Pretrained',
    checkpoint='http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-239d2248.pth')
model = dict(
    type='HPNet',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        mean=[104., 117., 128.],
        std=[1., 1., 1.],
        to_rgb=False),
    backbone=dict(type='BNInception', init_cfg=bninception_init),
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
