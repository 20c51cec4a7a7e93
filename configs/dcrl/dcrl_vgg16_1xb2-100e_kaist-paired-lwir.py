# Table I, MR^T (thermal boxes): evaluation with the paired annotations of Zhang et al.
# ICCV'19 (separate visible and lwir boxes); test with
#   mim test mmped configs/dcrl/dcrl_vgg16_1xb2-100e_kaist-paired-lwir.py --checkpoint TEACHER.pth
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
paired_dataset = dict(
    ann_file='annotations/paired/visible',
    paired_ann_file='annotations/paired/lwir',
    box_modality='lwir')
val_dataloader = dict(dataset=paired_dataset)
test_dataloader = val_dataloader
val_evaluator = dict(
    ann_file='data/kaist/annotations/paired/lwir',
    image_set='data/kaist/imageSets/test-all-20.txt')
test_evaluator = val_evaluator
