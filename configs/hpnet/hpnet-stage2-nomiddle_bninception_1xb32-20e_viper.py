# Fig. 6 ablation on VIPeR, stage 2: without the middle level: no alpha^2 and nothing applied to
# block 2. Initialise with this config: tools/model_converters/hpnet_stage_init.py THIS_CONFIG
# <stage-1 VIPeR checkpoint> work_dirs/hpnet_viper_nomiddle_stage2_init.pth
_base_ = './hpnet-stage2_bninception_1xb32-20e_viper.py'

branches = [
    dict(att_level=0, target_levels=(0, 2)),
    dict(att_level=2, target_levels=(0, 2)),
]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet_viper_nomiddle_stage2_init.pth'
