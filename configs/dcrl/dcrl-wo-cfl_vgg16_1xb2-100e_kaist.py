# Fig. 6 "w/o CFL": independent VGG16 streams (no cross-modal feature learning).
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
model = dict(backbone=dict(cfl=None))
