# PETA: partition 0 of 5, 35 evaluated attributes: train on train, select checkpoints on the
# partition's val images, report test separately (`mim test`).
_base_ = './pa100k.py'

dataset_type = 'PETADataset'
data_root = 'data/PETA/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, partition=0, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, partition=0, split='val'))
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, partition=0, split='test'))
