# CA-GDFL on KITTI pedestrians at 576 x 1920 (Table IV).
_base_ = [
    './_base_/ca-gdfl_vgg16.py', './_base_/kitti_576x1920.py', './_base_/schedule_sgd_12e.py'
]
# KITTIPedestrianMetric reports AP (kitti/easy_R40, kitti/moderate_R40...), not miss rates
default_hooks = dict(checkpoint=dict(save_best='kitti/moderate_R40', rule='greater'))
