# HydraPlus-Net re-ID on VIPeR (split 0 of 10, 316 / 316 ids), stage 3 (final model): M-net and AF-
# net frozen, GAP + FC feature trained with the softmax identity loss, cosine distance at test
# time. The stage-1 / stage-2 configs inherit it.
_base_ = ['../_base_/datasets/viper.py', './_base_/hpnet_reid.py']

model = dict(head=dict(num_classes=316))
train_dataloader = dict(batch_size=32, dataset=dict(pipeline={{_base_.hpnet_train_pipeline}}))
val_dataloader = dict(batch_size=64, dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}))
test_dataloader = val_dataloader
val_evaluator = dict(metric='cosine')
test_evaluator = val_evaluator
# the fine-tuned stage-2 model (same module tree, no conversion)
load_from = 'work_dirs/hpnet-stage2_bninception_1xb32-20e_viper/epoch_20.pth'
