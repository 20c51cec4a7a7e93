# Runtime settings shared by every mmped config: mmdet's, with mmped as the default scope.
# mmengine marks the dicts inherited from mmdet's file `_scope_='mmdet'`; they are set back to
# the mmped scope here (which resolves mmdet and mmengine types too), so hooks and the
# visualizer build as in the rest of the config and may be swapped for mmped types by name.
_base_ = 'mmdet::_base_/default_runtime.py'

default_scope = 'mmped'

# pedestrian boxes with ignore regions, RGB-T pairs side by side, and the attention overlays of
# the first val / test images (PedVisualizationHook) on every vis backend; add
# dict(type='TensorboardVisBackend') to visualizer.vis_backends for TensorBoard
# (pip install mmped[tensorboard])
default_hooks = dict(
    timer=dict(_scope_='mmped'),
    logger=dict(_scope_='mmped'),
    param_scheduler=dict(_scope_='mmped'),
    checkpoint=dict(_scope_='mmped'),
    sampler_seed=dict(_scope_='mmped'),
    visualization=dict(_scope_='mmped', type='mmped.PedVisualizationHook'))
visualizer = dict(_scope_='mmped', type='mmped.PedLocalVisualizer')
log_processor = dict(_scope_='mmped')
