# HydraPlus-Net re-ID on CUHK03 with the paper's split (Table 3: 1,360 identities of camera pairs
# 1-3, 1,160 train / 100 val / 100 test; labeled boxes, test identities of classic split 0),
# stage 3 (final model): M-net and AF-net frozen, GAP + FC feature trained with the softmax
# identity loss, cosine distance at test time. Checkpoints are selected on the 100 validation
# identities; `mim test` reports the 100 test identities. The stage-1 / stage-2 configs inherit it.
_base_ = ['../_base_/datasets/cuhk03.py', './_base_/hpnet_reid.py']

model = dict(head=dict(num_classes=1160))
# official splits: cuhk03_classic_splits.json under data_root, written from cuhk-03.mat by
# tools/dataset_converters/cuhk03_mat_to_images.py; classic_split_file=None: seeded splits
classic_split_file = 'cuhk03_classic_splits.json'
cuhk03_split = dict(protocol='classic', split_index=0, classic_split_file=classic_split_file,
                    camera_pairs=(1, 2, 3), num_val_ids=100)
train_dataloader = dict(
    batch_size=32,
    dataset=dict(pipeline={{_base_.hpnet_train_pipeline}}, split='train', **cuhk03_split))
val_dataloader = dict(
    batch_size=64,
    dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}, split='val', **cuhk03_split))
test_dataloader = dict(
    batch_size=64,
    dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}, split='test', **cuhk03_split))
# single-gallery-shot CMC; the paper repeats the test 100 times
val_evaluator = dict(metric='cosine', protocol='cuhk03_classic', num_repeats=100)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='reid/R1', rule='greater'))
# the fine-tuned stage-2 model (same module tree, no conversion)
load_from = 'work_dirs/hpnet-stage2_bninception_1xb32-20e_cuhk03-classic/epoch_20.pth'
