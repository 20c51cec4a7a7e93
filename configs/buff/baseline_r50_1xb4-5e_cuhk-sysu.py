# Task-joint baseline on CUHK-SYSU (gallery size 100): 5,532 training ids, queue of 5,000.
_base_ = [
    './_base_/person-search-rcnn_r50_1xb4-5e.py',
    '../_base_/datasets/cuhk_sysu.py',
    '../_base_/default_runtime.py',
]

model = dict(
    roi_head=dict(
        reid_head=dict(loss_reid=dict(num_pids=5532, queue_size=5000))))
