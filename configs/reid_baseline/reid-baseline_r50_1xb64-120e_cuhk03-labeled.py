# ResNet-50 BNNeck re-ID baseline on CUHK03-NP (labeled boxes).
_base_ = [
    '../_base_/models/reid_baseline_r50.py', '../_base_/datasets/cuhk03.py',
    '../_base_/schedules/reid_adam_120e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=767))
# no validation split in this protocol: the last checkpoint is the result (as the Bag of
# Tricks baseline reports); evaluation during training only monitors, it selects nothing
default_hooks = dict(checkpoint=dict(interval=20, save_best=None))

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
