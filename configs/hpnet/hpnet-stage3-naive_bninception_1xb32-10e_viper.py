# Fig. 6 ablation on VIPeR, stage 3: naive attention per branch: alpha^i applied to its own block i
# only.
_base_ = './hpnet-stage3_bninception_1xb32-10e_viper.py'

branches = [dict(att_level=i, target_levels=(i, )) for i in (0, 1, 2)]
model = dict(branches=branches)
load_from = 'work_dirs/hpnet-stage2-naive_bninception_1xb32-20e_viper/epoch_20.pth'
