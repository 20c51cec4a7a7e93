# CA-GDFL on Caltech evaluated with the new test annotations of Zhang et al. (CVPR'16):
# Table III MR-2^N on the Reasonable setup (paper: 6.04). Trained exactly as
# ca-gdfl_vgg16_4xb8-12e_caltech.py (on the original annotations); only the test ground truth
# changes, so `mim test` this config with that run's checkpoint. The new annotations as a
# COCO-style json over the same 4,024 test frames (e.g. Pedestron's datasets/Caltech/test.json)
# at data/caltech/coco/test_new.json; the test dataset reads it too, so image ids match.
_base_ = './ca-gdfl_vgg16_4xb8-12e_caltech.py'

data_root = 'data/caltech/'
test_dataloader = dict(dataset=dict(ann_file='coco/test_new.json'))
test_evaluator = dict(ann_file=data_root + 'coco/test_new.json', setups=['Reasonable'], mr4=False)
