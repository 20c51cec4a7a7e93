# Table VI, first row: no segmentation task in either stage.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(rpn_seg_head=None, roi_head=dict(seg_head=None))
