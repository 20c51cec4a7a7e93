# CityPersons for GDFL (Table VI / VIII): the detection-benchmark dataset settings (official
# val_gt.json, 1024 x 2048 inference) with SSD-style augmentation adapted to the large frames:
# photometric distortion, random rescale (0.5-1.5) and 640 x 1280 crops. Splits: train on the
# official train split, validate and test on the official val split (the paper reports val; the
# test labels are not public), so no training image is ever evaluated.
_base_ = '../../_base_/datasets/citypersons.py'

train_pipeline = [
    *_base_.train_load, _base_.ssd_photometric,
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(640, 1280), allow_negative_crop=False),
    *_base_.train_finish
]
# Training labels: the bounding box annotations as released (the paper trains on the "bounding
# box annotations"), as for Caltech: every `pedestrian` box (class 1) is a positive whatever its
# height or occlusion, the other official classes (ignore regions, riders, sitting and other
# persons, groups) are ignore regions. The usual Reasonable training filter (h >= 50 px and
# >= 65 % visible, the others turned into ignore regions) is kept as `reasonable_train_filter`,
# used by gdfl_vgg16-reasonable-train_2xb4-adam-40e_citypersons.py.
reasonable_train_filter = dict(min_height=50, min_vis=0.65)
train_dataloader = dict(
    batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline, train_filter=None))
