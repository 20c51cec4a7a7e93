# CA-GDFL on Caltech (Table III).
_base_ = [
    './_base_/ca-gdfl_vgg16.py', './_base_/caltech.py', './_base_/schedule_sgd_12e.py'
]
