# Table 3, row 5 (86.2 / 87.1): all three blocks, unspecified (0) labels trained as negatives.
# Row 6 (86.5 / 87.3, 0-labels ignored) is dahar_r101_1xb32-30e_wider-attribute.py.
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(ignore_invalid_labels=False)
