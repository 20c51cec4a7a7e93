# Da-HAR on WIDER-Attribute with the "mixed" loss: the paper does not define it; mmped trains
# the main net with BCE (eq. 1) and the side branch with the weighted BCE (eq. 2), so the
# averaged prediction mixes a precision-leaning and a recall-leaning branch (see README).
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    head=dict(loss=dict(type='WeightedBCELoss', mode='none', reduction='batchmean')),
    side_loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                   reduction='batchmean'))
