# Table 3, row 3 (85.8 / 86.6): baseline + self-mask blocks (after layer1..layer3).
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    side_stages=(2, ),
    side_neck=None,
    side_head=dict(with_mask=False),
    ignore_invalid_labels=False)
