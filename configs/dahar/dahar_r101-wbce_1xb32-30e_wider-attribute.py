# Da-HAR on WIDER-Attribute with the weighted BCE of eq. 2 (1 / (2p), 1 / (2(1 - p))) on both
# branches. p: exact positive ratio of the training split (AttributePosRatioHook).
_base_ = './dahar_r101_1xb32-30e_wider-attribute.py'

model = dict(
    head=dict(loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                        reduction='batchmean')),
    side_loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                   reduction='batchmean'))
