# GDFL on Caltech trained with the usual Reasonable training filter instead of the paper's original
# annotations (`reasonable_train_filter` of _base_/caltech.py): people under 50 px or less than
# 65 % visible become ignore regions (neither positives nor negatives). For comparison with
# detectors trained that way.
_base_ = './gdfl_vgg16_4xb8-12e_caltech.py'

train_dataloader = dict(
    dataset=dict(train_filter=dict(_delete_=True, min_height=50, min_vis=0.65)))
