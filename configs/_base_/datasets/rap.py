# RAP v1: partition 0 of 5, 51 evaluated attributes, uncertain labels (2) ignored.
_base_ = './pa100k.py'

dataset_type = 'RAPDataset'
data_root = 'data/RAP/'
train_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train', partition=0,
        uncertain='ignore'))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', partition=0,
        uncertain='ignore'))
test_dataloader = val_dataloader
