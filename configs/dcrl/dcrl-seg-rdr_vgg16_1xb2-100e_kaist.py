# Table VI: segmentation task in the region detection refinement (RDR) stage only.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(rpn_seg_head=None)
