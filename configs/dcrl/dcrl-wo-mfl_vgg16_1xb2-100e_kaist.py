# Table II "CFL w/o MFL": no modality-specific part (alpha = 1), fully shared 1x1 convolutions.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(backbone=dict(cfl=dict(alpha=1.0)))
