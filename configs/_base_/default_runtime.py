# Runtime settings shared by every mmped config: mmdet's, with mmped as the default scope.
# Dicts inherited from mmdet's file are built in the mmdet scope (`_scope_='mmdet'`): a config
# that swaps one of its hooks / the visualizer for an mmped type names it `mmped.<Type>`.
_base_ = 'mmdet::_base_/default_runtime.py'

default_scope = 'mmped'

# pedestrian boxes with ignore regions, RGB-T pairs side by side, and the attention overlays of
# the first val / test images (PedVisualizationHook) on every vis backend; add
# dict(type='TensorboardVisBackend') to visualizer.vis_backends for TensorBoard
# (pip install mmped[tensorboard])
default_hooks = dict(visualization=dict(type='mmped.PedVisualizationHook'))
visualizer = dict(type='mmped.PedLocalVisualizer')
