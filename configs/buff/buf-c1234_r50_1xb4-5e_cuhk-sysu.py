# Table 4, "BUF_c1234": bottom-up fusion of levels (1, 2, 3, 4) without FAM.
_base_ = './baseline_r50_1xb4-5e_cuhk-sysu.py'

model = dict(roi_head=dict(reid_roi_extractor=dict(levels=(1, 2, 3, 4))))
