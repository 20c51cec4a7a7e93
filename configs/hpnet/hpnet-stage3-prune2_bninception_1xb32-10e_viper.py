# Fig. 6 ablation on VIPeR, stage 3: two branches pruned: F(alpha^1) and F(alpha^2) discarded.
_base_ = './hpnet-stage3_bninception_1xb32-10e_viper.py'

branches = [dict(att_level=2, target_levels=(0, 1, 2))]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet-stage2-prune2_bninception_1xb32-20e_viper/epoch_20.pth'
