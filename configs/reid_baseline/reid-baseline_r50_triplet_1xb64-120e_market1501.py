# ResNet-50 BNNeck re-ID baseline on Market-1501 with the batch-hard triplet loss ("Bag of
# Tricks" without the center loss): label-smoothed ID loss on the BN logits + triplet loss
# (margin 0.3, weight 1) on the pre-BN feature, P x K = 16 identities x 4 images per batch.
_base_ = './reid-baseline_r50_1xb64-120e_market1501.py'

model = dict(head=dict(loss_triplet=dict(
    _delete_=True, type='TripletLoss', margin=0.3, loss_weight=1.0)))
# batch_size must equal num_ids_per_batch * num_instances
train_dataloader = dict(
    batch_size=64,
    sampler=dict(
        _delete_=True, type='IdentityBalancedSampler', num_ids_per_batch=16, num_instances=4))
