# Fig. 6 ablation on VIPeR, stage 2: two branches pruned: F(alpha^1) and F(alpha^2) discarded.
# Initialise with this config: tools/model_converters/hpnet_stage_init.py THIS_CONFIG <stage-1
# VIPeR checkpoint> work_dirs/hpnet_viper_prune2_stage2_init.pth
_base_ = './hpnet-stage2_bninception_1xb32-20e_viper.py'

branches = [dict(att_level=2, target_levels=(0, 1, 2))]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet_viper_prune2_stage2_init.pth'
