# GDFL on MOT17Det (Table V), initialised from the Caltech model (load_from).
_base_ = [
    './_base_/gdfl_vgg16.py', './_base_/mot17det.py', './_base_/schedule_sgd_12e.py'
]
# every weight comes from the Caltech model: no ImageNet VGG16 file needed
model = dict(backbone=dict(init_cfg=None))
# the final Caltech checkpoint (the best one is named best_pedestrian_Reasonable_epoch_N.pth)
load_from = 'work_dirs/gdfl_vgg16_4xb8-12e_caltech/epoch_12.pth'
# MOT17DetMetric reports AP (mot17det/AP), not miss rates
default_hooks = dict(checkpoint=dict(save_best='mot17det/AP', rule='greater'))
