# CityPersons (Cityscapes leftImg8bit, 2048 x 1024). Expected layout:
#   data/citypersons/leftImg8bit/{train,val}/<city>/<name>_leftImg8bit.png
#   data/citypersons/annotations/val_gt.json   official evaluation json
#   data/citypersons/annotations/train_gt.json made by
#       tools/dataset_converters/citypersons_to_coco.py annotations/anno_train.mat ...
#   (anno_{train,val}.mat or gtBboxCityPersons/<split> folders can be used as ann_file too)
# Evaluation: official protocol (Reasonable, Reasonable_small, Heavy, All), MR-2 in percent.
_base_ = './pedestrian_det_pipeline.py'

dataset_type = 'CityPersonsDataset'
data_root = 'data/citypersons/'
backend_args = None
img_scale = (2048, 1024)

train_pipeline = [
    *_base_.train_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.train_finish
]
test_pipeline = [
    *_base_.test_load,
    dict(type='Resize', scale=img_scale, keep_ratio=True), *_base_.test_finish
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train_gt.json',
        data_prefix=dict(img='leftImg8bit/train/'),
        # the usual CityPersons training subset: pedestrians >= 50 px, >= 65% visible
        train_filter=dict(min_height=50, min_vis=0.65),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/val_gt.json',
        data_prefix=dict(img='leftImg8bit/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='MissRateMetric', ann_file=data_root + 'annotations/val_gt.json', protocol='citypersons')
test_evaluator = val_evaluator
