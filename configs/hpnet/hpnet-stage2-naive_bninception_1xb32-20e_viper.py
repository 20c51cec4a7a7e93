# Fig. 6 ablation on VIPeR, stage 2: naive attention per branch: alpha^i applied to its own block i
# only. Initialise with this config: tools/model_converters/hpnet_stage_init.py THIS_CONFIG
# <stage-1 VIPeR checkpoint> work_dirs/hpnet_viper_naive_stage2_init.pth
_base_ = './hpnet-stage2_bninception_1xb32-20e_viper.py'

branches = [dict(att_level=i, target_levels=(i, )) for i in (0, 1, 2)]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet_viper_naive_stage2_init.pth'
