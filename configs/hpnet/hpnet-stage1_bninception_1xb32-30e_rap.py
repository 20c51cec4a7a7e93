# HydraPlus-Net on RAP v1 (51 attributes, uncertain labels ignored), stage 1: the M-net (BN-
# Inception + GAP + FC) alone.
_base_ = './hpnet-stage3_bninception_1xb32-5e_rap.py'

model = dict(stage=1)
load_from = None
optim_wrapper = {{_base_.stage1_optim_wrapper}}
param_scheduler = {{_base_.stage1_param_scheduler}}
train_cfg = {{_base_.stage1_train_cfg}}
