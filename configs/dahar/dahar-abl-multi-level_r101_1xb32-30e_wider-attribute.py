# Table 3, row 2 (85.7 / 86.5): baseline + multi-level feature fusion (layer2..layer4).
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    self_mask_stages=(),
    side_head=dict(with_mask=False),
    ignore_invalid_labels=False)
