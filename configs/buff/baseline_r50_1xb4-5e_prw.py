# Task-joint person-search baseline of BUFF (sec. 4.1) on PRW.
_base_ = [
    './_base_/person-search-rcnn_r50_1xb4-5e.py',
    '../_base_/datasets/prw.py',
    '../_base_/default_runtime.py',
]

# iteration-based schedule (see the model base): a checkpoint per paper epoch (2,852 iterations)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2852))
log_processor = dict(by_epoch=False)
