# Table I, MR^R (student): the distilled student (RGB input) tested on the visible boxes of
# the paired annotations (annotations_paired/setXX/VYYY/{visible,lwir}/ as distributed):
#   mim test mmped configs/dcrl/dcrd-student_vgg16_1xb2-150e_kaist-rgb-paired-visible.py \
#       --checkpoint work_dirs/dcrd_vgg16_1xb2-150e_kaist/epoch_150.pth
_base_ = ['./dcrd-student_vgg16_1xb2-150e_kaist-rgb.py']
val_dataloader = dict(dataset=dict(ann_file='annotations_paired', box_modality='visible'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
