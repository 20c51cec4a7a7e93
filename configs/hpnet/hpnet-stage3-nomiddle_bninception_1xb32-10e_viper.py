# Fig. 6 ablation on VIPeR, stage 3: without the middle level: no alpha^2 and nothing applied to
# block 2.
_base_ = './hpnet-stage3_bninception_1xb32-10e_viper.py'

branches = [
    dict(att_level=0, target_levels=(0, 2)),
    dict(att_level=2, target_levels=(0, 2)),
]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet-stage2-nomiddle_bninception_1xb32-20e_viper/epoch_20.pth'
