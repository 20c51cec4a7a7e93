# Fig. 6 "w/o CFL": the teacher without cross-modal feature learning "simply concatenates the
# features from different modalities": independent VGG16 streams whose conv5 maps are
# concatenated (2 x 512 channels) under one RPN and one RoI head (no MAF; halfway fusion).
# The per-branch variant (independent streams + MAF) is feature_fusion='branches'.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(
    backbone=dict(cfl=None),
    feature_fusion='concat',
    rpn_head=dict(in_channels=1024),
    roi_head=dict(
        fusion=None,
        bbox_roi_extractor=dict(out_channels=1024),
        bbox_head=dict(in_channels=1024)))
