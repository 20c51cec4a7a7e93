# Table IV "SEG": segmentation distillation only (Eq. (18)), in both stages.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_feature=None, loss_cls=None, loss_reg=None)
