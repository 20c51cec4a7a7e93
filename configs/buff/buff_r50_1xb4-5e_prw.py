# BUFF (Yang et al., ACM MM 2020): bottom-up fusion of conv1..conv4 RoI features (BUF) and the
# foreground attention module (FAM) guided by a box-supervised segmentation head on conv3.
# L = L_det + L_seg + 0.5 * L_oim.
_base_ = './baseline_r50_1xb4-5e_prw.py'

model = dict(
    fg_attention=dict(type='ForegroundAttention', in_channels=512, seg_stride=8, loss_weight=1.0),
    fam_levels=(1, 2, 3, 4),
    roi_head=dict(reid_roi_extractor=dict(levels=(1, 2, 3, 4))))
