# Table 3, row 4 (86.0 / 86.8): baseline + masked attention (mask branch supervised by person
# masks, on layer3 features).
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    self_mask_stages=(),
    side_stages=(2, ),
    side_neck=None,
    ignore_invalid_labels=False)
