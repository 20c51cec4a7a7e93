# Task-joint baseline on CUHK-SYSU (gallery size 100): 5,532 training ids, queue of 5,000.
_base_ = [
    './_base_/person-search-rcnn_r50_1xb4-5e.py',
    '../_base_/datasets/cuhk_sysu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    roi_head=dict(
        reid_head=dict(loss_reid=dict(num_pids=5532, queue_size=5000))))

# The paper's schedule counted as on PRW: 11,206 training images + their mirror images per epoch,
# batch 4: 5,603 iterations per epoch, 28,015 in all, lr x0.1 after the fourth epoch (22,412).
paper_epoch_iters = 5603
train_cfg = dict(max_iters=5 * paper_epoch_iters, val_interval=5 * paper_epoch_iters)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=5 * paper_epoch_iters,
         milestones=[4 * paper_epoch_iters], gamma=0.1)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=paper_epoch_iters))
log_processor = dict(by_epoch=False)
