# GDFL on CityPersons trained with the usual Reasonable training filter instead of the paper's
# bounding box annotations (`reasonable_train_filter` of _base_/citypersons.py): pedestrians under
# 50 px or less than 65 % visible become ignore regions (neither positives nor negatives). Not in
# the paper; for comparison with detectors trained that way (and with the configs before issue 17).
_base_ = './gdfl_vgg16_2xb4-adam-40e_citypersons.py'

train_dataloader = dict(
    dataset=dict(train_filter=dict(_delete_=True, min_height=50, min_vis=0.65)))
