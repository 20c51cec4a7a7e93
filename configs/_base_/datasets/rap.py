# RAP v1: partition 0 of 5, 51 evaluated attributes, uncertain labels (2) ignored. RAP has no
# official validation set: checkpoints are selected on a seeded 10% hold-out of the partition's
# training images (split 'val'; the model trains on the other 90%, split 'train'); the test
# images are reported separately (`mim test`). split='trainval' is the whole training index.
_base_ = './pa100k.py'

dataset_type = 'RAPDataset'
data_root = 'data/RAP/'
holdout = dict(partition=0, val_fraction=0.1, holdout_seed=0, uncertain='ignore')
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train', **holdout))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='val', **holdout))
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test', **holdout))
