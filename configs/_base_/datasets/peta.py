# PETA: partition 0 of 5, 35 evaluated attributes; train on train + val, test on test.
_base_ = './pa100k.py'

dataset_type = 'PETADataset'
data_root = 'data/PETA/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, partition=0))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, partition=0))
test_dataloader = val_dataloader
