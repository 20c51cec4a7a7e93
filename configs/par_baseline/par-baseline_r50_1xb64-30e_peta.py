# ResNet-50 multi-label attribute baseline on PETA (35 attributes, partition 0).
_base_ = [
    '../_base_/models/par_baseline_r50.py', '../_base_/datasets/peta.py',
    '../_base_/schedules/par_sgd_30e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=35))
default_hooks = dict(checkpoint=dict(interval=5, save_best='attr/mA', rule='greater'))

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
