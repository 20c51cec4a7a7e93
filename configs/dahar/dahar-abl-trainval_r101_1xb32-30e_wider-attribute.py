# Table 3, row 7 (87.2 / 88.0): the full model (0-labels ignored) trained on the train AND val
# images, as SRN does; every other WIDER-Attribute config trains on the train images only.
# The val images are training data here, so nothing is left to select a checkpoint on: the
# fixed 30-epoch schedule runs without validation and its last checkpoint is tested.
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

train_dataloader = dict(dataset=dict(split='trainval'))
val_dataloader = None
val_cfg = None
val_evaluator = None
default_hooks = dict(checkpoint=dict(save_best=None))
