# Table 3, PRW RB (random background), model "BUFF": test only, ground-truth gallery boxes.
# Test images written by tools/dataset_converters/make_background_influence.py into
# <data_root>/background_influence/ (see README.md); train with buff_r50_1xb4-5e_prw.py.
_base_ = './buff_r50_1xb4-5e_prw.py'

model = dict(test_cfg=dict(use_gt_boxes=True))
test_dataloader = dict(dataset=dict(data_prefix=dict(img='background_influence/RB/')))
