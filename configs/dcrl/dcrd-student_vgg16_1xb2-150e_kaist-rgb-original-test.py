# Table IV / Table V "Baseline" (KAIST column): the RGB-only student trained alone, evaluated
# on the original test annotations.
_base_ = ['./dcrd-student_vgg16_1xb2-150e_kaist-rgb.py']
val_dataloader = dict(dataset=dict(ann_file='annotations'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
