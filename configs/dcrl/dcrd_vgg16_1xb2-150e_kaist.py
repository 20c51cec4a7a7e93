# DCRD-PDN: the RGB-only student distilled from the frozen DCRL-PDN teacher with all four
# distillation terms (CLS + BBR + FEA + SEG, last row of Table IV). Training reads the
# visible + lwir pairs (the teacher needs both); the student sees only the visible channels.
# Test / deploy the trained student with dcrd-student_vgg16_1xb2-150e_kaist-rgb.py (RGB input).
_base_ = ['./dcrd-student_vgg16_1xb2-150e_kaist-rgb.py']

# the trained teacher: config and checkpoint. Training refuses to start without a checkpoint:
#   --cfg-options model.teacher_ckpt=work_dirs/dcrl_vgg16_1xb2-100e_kaist/epoch_100.pth
teacher_config = '{{ fileDirname }}/dcrl_vgg16_1xb2-100e_kaist.py'
teacher_ckpt = None

model = dict(
    type='DistillFasterRCNN',
    teacher_config=teacher_config,
    teacher_ckpt=teacher_ckpt,
    student_channels=(0, 1, 2),
    # the paired input is normalised once, with the teacher's per-modality statistics
    data_preprocessor={{_base_.data_preprocessor}},
    # Eq. (15): 1x1 adaptation 512 -> 1024 (the teacher's two concatenated conv5 maps), rho 0.5
    loss_feature=dict(
        type='FeatureHintLoss', student_channels=512, teacher_channels=1024, loss_weight=0.5),
    # Eq. (16): zeta 0.5; T not given by the paper
    loss_cls=dict(type='SoftHardCrossEntropyLoss', zeta=0.5, temperature=1.0),
    # Eq. (17): eps 0.5; margin delta not given by the paper; the smooth L1 part keeps each
    # stage's plain beta (RPN 1/9, RoI 1.0: beta unset), so "BBR" differs from the baseline
    # only by the teacher-bounded term (set beta=1.0 to use one beta in both stages)
    loss_reg=dict(type='BoundedRegressionLoss', eps=0.5, margin=0.0),
    # Eq. (18): xi 0.5
    loss_seg=dict(type='SegDistillLoss', xi=0.5),
    distill_stages=('rpn', 'roi'))

# the teacher's training pipeline of the KAIST base config: the pairs get the augmentation
# the teacher was trained with (photometric distortion of both modalities; the student sees the
# visible slice, the teacher both)
train_dataloader = dict(dataset=dict(pipeline={{_base_.paired_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.paired_test_pipeline}}))
test_dataloader = val_dataloader

# distillation lifecycle: the teacher's miss rates on the val set are logged before the first
# epoch (a wrong teacher checkpoint shows at once); the distillation weight follows
# `schedule` ((epoch, weight) milestones: [(120, 0.0)] stops distillation after 120 epochs;
# empty = distillation with weight 1 throughout, as in the paper). An EMA of the student:
# add dict(type='EMAHook') (copies of this model share the frozen teacher).
custom_hooks = [
    dict(type='mmped.TeacherValHook'),
    dict(type='mmped.DistillWeightHook', schedule=[]),
]
