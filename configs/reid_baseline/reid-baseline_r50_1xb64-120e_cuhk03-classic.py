# ResNet-50 BNNeck re-ID baseline on CUHK03 (classic protocol, labeled boxes, split 0 of 20):
# 1,367 train ids, of which 100 (seeded, as HP-net's CUHK03 config) are held out to select
# checkpoints and 1,267 are trained on; view-1 queries vs view-2 gallery of 100 test ids,
# single-gallery-shot CMC averaged over 10 seeded draws (the protocol of HP-net's CUHK03
# numbers).
_base_ = './reid-baseline_r50_1xb64-120e_cuhk03-labeled.py'

model = dict(head=dict(num_classes=1267))
# official splits: cuhk03_classic_splits.json under data_root, written from cuhk-03.mat by
# tools/dataset_converters/cuhk03_mat_to_images.py (with images_labeled/); None = seeded splits
classic = dict(protocol='classic', split_index=0,
               classic_split_file='cuhk03_classic_splits.json', num_val_ids=100)
train_dataloader = dict(dataset=dict(split='train', **classic))
val_dataloader = dict(dataset=dict(split='val', **classic))
test_dataloader = dict(val_dataloader, dataset=dict(val_dataloader['dataset'], split='test'))
val_evaluator = dict(protocol='cuhk03_classic', num_repeats=10)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(interval=20, save_best='reid/R1', rule='greater'))
