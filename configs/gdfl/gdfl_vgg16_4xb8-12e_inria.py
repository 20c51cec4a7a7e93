# GDFL on INRIA (Fig. 8, reasonable setting).
_base_ = [
    './_base_/gdfl_vgg16.py', './_base_/inria.py', './_base_/schedule_sgd_12e.py'
]
