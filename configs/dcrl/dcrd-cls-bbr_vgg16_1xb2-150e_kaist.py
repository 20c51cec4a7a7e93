# Table IV "CLS+BBR": detection-level distillation (Eq. (16) + (17)).
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_feature=None, loss_seg=None)
