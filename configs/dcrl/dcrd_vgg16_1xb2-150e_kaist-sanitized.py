# Table I, MR^SA (student): distilled on the sanitized training annotations (Li et al.
# BMVC'18) from the teacher trained on them (dcrl_vgg16_1xb2-100e_kaist-sanitized.py),
# evaluated on the improved test annotations.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist.py']
model = dict(teacher_config='{{ fileDirname }}/dcrl_vgg16_1xb2-100e_kaist-sanitized.py')
train_dataloader = dict(dataset=dict(ann_file='annotations_sanitized'))
