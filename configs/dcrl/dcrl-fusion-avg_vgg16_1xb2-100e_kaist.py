# Table III "average pooling": the branches' scores and box offsets are averaged.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(roi_head=dict(fusion=dict(mode='average')))
