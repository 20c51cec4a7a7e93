# HydraPlus-Net re-ID on Market-1501 + CUHK03 + VIPeR jointly (JSTL), stage 1: the M-net alone.
_base_ = './hpnet-stage3_bninception_1xb32-10e_jstl.py'

# ImageNet BN-Inception (the base config names it; stages 2 and 3 start from load_from)
model = dict(stage=1, backbone=dict(init_cfg=dict(_delete_=True, **_base_.bninception_init)))
load_from = None
optim_wrapper = {{_base_.stage1_optim_wrapper}}
param_scheduler = {{_base_.stage1_param_scheduler}}
train_cfg = {{_base_.stage1_train_cfg}}
