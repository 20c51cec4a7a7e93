# Table IV "CLS": classification distillation only (Eq. (16)), in both stages.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_feature=None, loss_reg=None, loss_seg=None)
