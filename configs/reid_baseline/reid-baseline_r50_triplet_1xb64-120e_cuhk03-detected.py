# ResNet-50 BNNeck re-ID baseline on CUHK03-NP (detected boxes) with the batch-hard triplet
# loss (margin 0.3) and P x K = 16 x 4 identity-balanced batches.
_base_ = './reid-baseline_r50_triplet_1xb64-120e_cuhk03-labeled.py'

train_dataloader = dict(dataset=dict(variant='detected'))
val_dataloader = dict(dataset=dict(variant='detected'))
test_dataloader = val_dataloader
