# Table II "CFL w/o AAS": shared and specific parts averaged instead of the parameter-free
# attention-based aggregation of Eq. (4)-(6).
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(backbone=dict(cfl=dict(aggregation='average')))
