# Fig. 4 (teacher): evaluated on the original test annotations (annotations/setXX/VYYY/
# IZZZZZ.txt as distributed) of test-all-20; training as the full teacher. The ablation
# tables (II, III, VI, Fig. 6), whose miss rates are on the same annotations, inherit it.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
val_dataloader = dict(dataset=dict(ann_file='annotations'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
