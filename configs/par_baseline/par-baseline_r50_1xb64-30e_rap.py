# ResNet-50 multi-label attribute baseline on RAP v1 (51 attributes, uncertain labels ignored).
_base_ = [
    '../_base_/models/par_baseline_r50.py', '../_base_/datasets/rap.py',
    '../_base_/schedules/par_sgd_30e.py', '../_base_/default_runtime.py'
]

model = dict(head=dict(num_classes=51))
default_hooks = dict(checkpoint=dict(interval=5, save_best='attr/mA', rule='greater'))

# classifier drawings with mmpretrain's visualizer; mmped's hook adds the attention overlays of
# the first val / test images and makes `tools/test.py --show-dir` work
default_hooks.update(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmpretrain.UniversalVisualizer')
