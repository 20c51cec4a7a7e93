# Table I, MR^T (thermal boxes): the teacher evaluated with the paired annotations of Zhang et
# al. ICCV'19 (separate visible and lwir boxes, annotations_paired/setXX/VYYY/{visible,lwir}/
# as distributed); test with
#   mim test mmped configs/dcrl/dcrl_vgg16_1xb2-100e_kaist-paired-lwir.py --checkpoint TEACHER.pth
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-paired-visible.py']
val_dataloader = dict(dataset=dict(box_modality='lwir'))
test_dataloader = val_dataloader
