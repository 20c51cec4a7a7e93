# Fig. 4, "BUF_c3": the re-ID stream takes only the conv3 RoI features (no fusion, no FAM);
# the transforms above conv3 (T4, as in BUF) bring them to conv5's 1024 input channels.
_base_ = './baseline_r50_1xb4-5e_prw.py'

model = dict(roi_head=dict(reid_roi_extractor=dict(levels=(3, ), out_level=4)))
