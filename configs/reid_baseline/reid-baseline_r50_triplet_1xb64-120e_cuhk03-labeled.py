# ResNet-50 BNNeck re-ID baseline on CUHK03-NP (labeled boxes) with the batch-hard triplet
# loss (margin 0.3) and P x K = 16 x 4 identity-balanced batches.
_base_ = './reid-baseline_r50_1xb64-120e_cuhk03-labeled.py'

model = dict(head=dict(loss_triplet=dict(
    _delete_=True, type='TripletLoss', margin=0.3, loss_weight=1.0)))
# batch_size must equal num_ids_per_batch * num_instances
train_dataloader = dict(
    batch_size=64,
    sampler=dict(
        _delete_=True, type='IdentityBalancedSampler', num_ids_per_batch=16, num_instances=4))
