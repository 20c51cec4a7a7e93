# CA-GDFL on CityPersons (Table VI, Table VIII last row).
_base_ = [
    './_base_/ca-gdfl_vgg16_citypersons.py', './_base_/citypersons.py',
    './_base_/schedule_adam_40e.py'
]
