# Table II "CFL w/o SFL": no shared part (alpha = 0), only modality-specific convolutions.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(backbone=dict(cfl=dict(alpha=0.0)))
