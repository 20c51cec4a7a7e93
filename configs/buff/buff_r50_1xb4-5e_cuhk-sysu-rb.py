# Table 3, CUHK-SYSU RB (random background), model "BUFF": test only, ground-truth gallery boxes.
# Test images written by tools/dataset_converters/make_background_influence.py into
# <data_root>/background_influence/ (see README.md); train with buff_r50_1xb4-5e_cuhk-sysu.py.
_base_ = ['./buff_r50_1xb4-5e_cuhk-sysu.py', './_base_/background-influence_cuhk-sysu-rb.py']

model = dict(test_cfg=dict(use_gt_boxes=True))
test_dataloader = dict(dataset={{_base_.cuhk_sysu_rb_test}})
