# Table IV "CLS+BBR+FEA": detection- and feature-level distillation.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_seg=None)
