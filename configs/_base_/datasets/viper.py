# VIPeR: split 0 of 10 seeded 316 / 316 identity splits; query cam_a, gallery cam_b.
_base_ = './market1501.py'

dataset_type = 'VIPeRDataset'
data_root = 'data/VIPeR/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, split_index=0))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, split_index=0))
test_dataloader = val_dataloader
