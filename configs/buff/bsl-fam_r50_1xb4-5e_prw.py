# Table 4, "Bsl + FAM": the baseline with the segmentation head and FAM on conv4 only.
_base_ = './baseline_r50_1xb4-5e_prw.py'

model = dict(
    fg_attention=dict(type='ForegroundAttention', in_channels=512, seg_stride=8, loss_weight=1.0),
    fam_levels=(4, ))
