# CUHK03-NP (new protocol, labeled boxes): 767 train / 700 test ids, Market-style evaluation.
_base_ = './market1501.py'

dataset_type = 'CUHK03Dataset'
data_root = 'data/cuhk03/'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, variant='labeled', protocol='new'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, variant='labeled', protocol='new'))
test_dataloader = val_dataloader
