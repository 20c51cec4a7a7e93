# HydraPlus-Net on PETA (35 attributes, partition 0), stage 2: every MDA branch fine-tuned from the
# stage-1 M-net with its own GAP + FC; M-net frozen. load_from is written by
# tools/model_converters/hpnet_stage_init.py (configs/hpnet/README.md).
_base_ = './hpnet-stage3_bninception_1xb32-5e_peta.py'

model = dict(stage=2)
load_from = 'work_dirs/hpnet_peta_stage2_init.pth'
optim_wrapper = {{_base_.stage2_optim_wrapper}}
param_scheduler = {{_base_.stage2_param_scheduler}}
train_cfg = {{_base_.stage2_train_cfg}}
