# Table I, MR^SA: the teacher trained on the sanitized training annotations (Li et al.
# BMVC'18, annotations_sanitized/setXX_VYYY_IZZZZZ.txt as distributed), evaluated on the
# improved test annotations.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
train_dataloader = dict(dataset=dict(ann_file='annotations_sanitized'))
