# HydraPlus-Net re-ID on Market-1501 + CUHK03 + VIPeR jointly (JSTL), stage 2: every MDA branch
# fine-tuned from the stage-1 M-net with its own GAP + FC and identity classifier; M-net frozen.
# load_from is written by tools/model_converters/hpnet_stage_init.py (configs/hpnet/README.md).
_base_ = './hpnet-stage3_bninception_1xb32-10e_jstl.py'

model = dict(stage=2)
load_from = 'work_dirs/hpnet_jstl_stage2_init.pth'
optim_wrapper = {{_base_.stage2_optim_wrapper}}
param_scheduler = {{_base_.stage2_param_scheduler}}
train_cfg = {{_base_.stage2_train_cfg}}
