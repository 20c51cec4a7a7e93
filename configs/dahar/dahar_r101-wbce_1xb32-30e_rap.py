# Da-HAR on RAP v1 with the weighted BCE of eq. 2 on both branches ("w." in Table 2: mA 84.28,
# Acc 59.84, Prec 66.50, Rec 84.13, F1 74.28). p: exact positive ratio of the training split
# (AttributePosRatioHook).
_base_ = './dahar_r101_1xb32-30e_rap.py'

model = dict(
    head=dict(loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                        reduction='batchmean')),
    side_loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                   reduction='batchmean'))
