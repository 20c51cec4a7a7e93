# GDFL on Caltech (Table III): reasonable / heavy occlusion MR-2 and MR-4 at 480 x 640.
_base_ = [
    './_base_/gdfl_vgg16.py', './_base_/caltech.py', './_base_/schedule_sgd_12e.py'
]
