# HydraPlus-Net re-ID trained jointly on the training sets of Market-1501, CUHK03 and VIPeR
# (JSTL pipeline, Sec. 6.1: "all the training samples are combined together to train a single
# ReID model ... directly evaluated on all the testing datasets"), stage 3 (final model).
# Identity labels are offset per dataset (751 + 1,160 + 316 = 2,227 classes). Checkpoints are
# selected on the CUHK03 validation identities (the only validation split of the three);
# `mim test` reports every test set on its own protocol (keys market1501/*, cuhk03/*, viper/*).
# The stage-1 / stage-2 configs inherit it; per-dataset models: the *_market1501, *_cuhk03-classic
# and *_viper configs.
_base_ = ['../_base_/datasets/market1501.py', './_base_/hpnet_reid.py']

model = dict(head=dict(num_classes=751 + 1160 + 316))

train_pipeline = {{_base_.hpnet_train_pipeline}}
test_pipeline = {{_base_.hpnet_test_pipeline}}
market1501 = dict(type='Market1501Dataset', data_root='data/Market-1501-v15.09.15/')
cuhk03 = dict(type='CUHK03Dataset', data_root='data/cuhk03/', variant='labeled',
              protocol='classic', split_index=0, classic_split_file='cuhk03_classic_splits.json',
              camera_pairs=(1, 2, 3), num_val_ids=100)
viper = dict(type='VIPeRDataset', data_root='data/VIPeR/', split_index=0)
names = ['market1501', 'cuhk03', 'viper']

train_dataloader = dict(
    _delete_=True,
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ReIDConcatDataset',
        names=names,
        datasets=[dict(d, split='train', pipeline=train_pipeline)
                  for d in (market1501, cuhk03, viper)]))
val_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(cuhk03, split='val', pipeline=test_pipeline))
val_evaluator = dict(
    _delete_=True, type='ReIDMetric', metric='cosine', protocol='cuhk03_classic',
    num_repeats=100, prefix='cuhk03_val')
test_dataloader = dict(
    _delete_=True,
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ReIDConcatDataset',
        names=names,
        datasets=[dict(d, split='test', pipeline=test_pipeline)
                  for d in (market1501, cuhk03, viper)]))
test_evaluator = [
    dict(type='PerSourceMetric', source='market1501',
         metric=dict(type='ReIDMetric', metric='cosine', protocol='market1501')),
    dict(type='PerSourceMetric', source='cuhk03',
         metric=dict(type='ReIDMetric', metric='cosine', protocol='cuhk03_classic',
                     num_repeats=100)),
    dict(type='PerSourceMetric', source='viper',
         metric=dict(type='ReIDMetric', metric='cosine', protocol='market1501')),
]
default_hooks = dict(checkpoint=dict(save_best='cuhk03_val/R1', rule='greater'))
# the fine-tuned stage-2 model (same module tree, no conversion)
load_from = 'work_dirs/hpnet-stage2_bninception_1xb32-20e_jstl/epoch_20.pth'
