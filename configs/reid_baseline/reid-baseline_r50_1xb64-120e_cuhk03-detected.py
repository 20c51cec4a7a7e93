# ResNet-50 BNNeck re-ID baseline on CUHK03-NP (detected boxes): 767 train ids.
_base_ = './reid-baseline_r50_1xb64-120e_cuhk03-labeled.py'

train_dataloader = dict(dataset=dict(variant='detected'))
val_dataloader = dict(dataset=dict(variant='detected'))
test_dataloader = val_dataloader
