# Table 3, row 7 (87.2 / 88.0): the full model (0-labels ignored) trained on the train AND val
# images, as SRN does; every other WIDER-Attribute config trains on the train images only.
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

train_dataloader = dict(dataset=dict(split='trainval'))
