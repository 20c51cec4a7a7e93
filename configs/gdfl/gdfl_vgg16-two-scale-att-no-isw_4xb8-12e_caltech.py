# Table VII column 7: two-scale attention trained with the plain softmax loss (alpha = 1,
# beta = 0: every pixel weighs 1), no ZIZOM.
_base_ = './gdfl_vgg16-two-scale-att_4xb8-12e_caltech.py'

model = dict(bbox_head=dict(loss_mask=dict(alpha=1.0, beta=0.0)))
