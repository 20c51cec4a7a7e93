# Table IV "FEA": feature-level distillation only (Eq. (15)).
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_cls=None, loss_reg=None, loss_seg=None)
