# Table VI: segmentation task in the region proposal generation (RPG) stage only.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(roi_head=dict(seg_head=None))
