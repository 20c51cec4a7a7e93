# HydraPlus-Net re-ID on CUHK03, classic protocol (labeled boxes, split 0 of 20, 1,367 / 100 ids),
# stage 3 (final model): M-net and AF-net frozen, GAP + FC feature trained with the softmax
# identity loss, cosine distance at test time. The stage-1 / stage-2 configs inherit it.
_base_ = ['../_base_/datasets/cuhk03.py', './_base_/hpnet_reid.py']

model = dict(head=dict(num_classes=1367))
# official splits: cuhk03_classic_splits.json under data_root, written from cuhk-03.mat by
# tools/dataset_converters/cuhk03_mat_to_images.py; classic_split_file=None: seeded splits
classic_split_file = 'cuhk03_classic_splits.json'
train_dataloader = dict(
    batch_size=32,
    dataset=dict(pipeline={{_base_.hpnet_train_pipeline}}, protocol='classic', split_index=0,
                 classic_split_file=classic_split_file))
val_dataloader = dict(
    batch_size=64,
    dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}, protocol='classic', split_index=0,
                 classic_split_file=classic_split_file))
test_dataloader = val_dataloader
# single-gallery-shot CMC; the paper repeats the test 100 times
val_evaluator = dict(metric='cosine', protocol='cuhk03_classic', num_repeats=100)
test_evaluator = val_evaluator
# the fine-tuned stage-2 model (same module tree, no conversion)
load_from = 'work_dirs/hpnet-stage2_bninception_1xb32-20e_cuhk03-classic/epoch_20.pth'
