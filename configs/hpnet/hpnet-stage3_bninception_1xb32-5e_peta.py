# HydraPlus-Net on PETA (35 attributes, partition 0), stage 3 (final model): M-net and AF-net
# frozen, GAP + FC trained on their concatenated features. The stage-1 / stage-2 configs inherit
# it.
_base_ = ['../_base_/datasets/peta.py', './_base_/hpnet_attr.py']

model = dict(head=dict(num_classes=35))
train_dataloader = dict(batch_size=32, dataset=dict(pipeline={{_base_.hpnet_train_pipeline}}))
val_dataloader = dict(batch_size=32, dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}))
test_dataloader = dict(batch_size=32, dataset=dict(pipeline={{_base_.hpnet_test_pipeline}}))
# the fine-tuned stage-2 model (same module tree, no conversion)
load_from = 'work_dirs/hpnet-stage2_bninception_1xb32-10e_peta/epoch_10.pth'
