# Fig. 4 / Table IV "CLS+BBR+FEA+SEG" / Table V KAIST / Fig. 6 (student): the distilled
# student evaluated on the original test annotations; the Table IV ablations inherit it.
_base_ = ['./dcrd_vgg16_1xb2-150e_kaist.py']
val_dataloader = dict(dataset=dict(ann_file='annotations'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
