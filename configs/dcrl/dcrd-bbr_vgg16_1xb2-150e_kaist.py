# Table IV "BBR": teacher-bounded regression distillation only (Eq. (17)), in both stages.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(loss_feature=None, loss_cls=None, loss_seg=None)
