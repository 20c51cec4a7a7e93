# Table III "linearly weighted fusion": one learned weight per modality (softmax-normalised),
# the same for every image.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist-original-test.py']
model = dict(roi_head=dict(fusion=dict(mode='linear')))
