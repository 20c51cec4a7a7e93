# Da-HAR on RAP v1 with the "mixed" loss ("m." in Table 2: mA 79.44, Acc 68.86, Prec 80.14,
# Rec 81.30, F1 80.72): BCE on the main net, weighted BCE (eq. 2) on the side branch (mmped's
# reading of the undefined "mixed loss", see README).
_base_ = './dahar_r101_1xb32-30e_rap.py'

model = dict(
    head=dict(loss=dict(type='WeightedBCELoss', mode='none', reduction='batchmean')),
    side_loss=dict(type='WeightedBCELoss', mode='dahar', pos_ratio='train_split',
                   reduction='batchmean'))
