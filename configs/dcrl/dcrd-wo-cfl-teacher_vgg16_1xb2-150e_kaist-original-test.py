# Fig. 6: the student distilled from the teacher trained without CFL
# (dcrl-wo-cfl_vgg16_1xb2-100e_kaist.py; its concatenated conv5 maps have 1024 channels, as
# the full teacher's two maps), evaluated on the original test annotations.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist-original-test.py']
model = dict(teacher_config='{{ fileDirname }}/dcrl-wo-cfl_vgg16_1xb2-100e_kaist.py')
