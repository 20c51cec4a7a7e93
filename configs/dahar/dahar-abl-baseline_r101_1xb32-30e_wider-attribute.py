# Table 3, row 1 (crops / full mAP 85.3 / 86.2): the baseline, SRN without its spatial
# regularisation: ResNet-101 + SRN attention on layer3 (1024 channels), main and attention
# predictions averaged; no fusion, no self-mask, no mask branch; 0-labels trained as negatives.
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    self_mask_stages=(),
    side_stages=(2, ),
    side_neck=None,
    side_head=dict(with_mask=False),
    ignore_invalid_labels=False)
