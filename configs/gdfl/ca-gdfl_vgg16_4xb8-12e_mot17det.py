# CA-GDFL on MOT17Det (Table V), initialised from the Caltech model (load_from).
_base_ = [
    './_base_/ca-gdfl_vgg16.py', './_base_/mot17det.py', './_base_/schedule_sgd_12e.py'
]
load_from = 'work_dirs/ca-gdfl_vgg16_4xb8-12e_caltech/best_pedestrian_Reasonable.pth'
