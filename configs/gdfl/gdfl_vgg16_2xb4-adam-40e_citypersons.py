# GDFL on CityPersons (Table VI, Table VIII row 1): val Reasonable / Heavy occlusion MR-2.
_base_ = [
    './_base_/gdfl_vgg16_citypersons.py', './_base_/citypersons.py',
    './_base_/schedule_adam_40e.py'
]
