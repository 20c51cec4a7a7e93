# Table V, NightOwls column: the DCRD-PDN student (distilled on KAIST RGB-thermal) fine-tuned
# on NightOwls RGB frames (Neumann et al. ACCV'18). Start from the distilled student:
#   mim train mmped configs/dcrl/dcrd-ft_vgg16_1xb2-12e_nightowls.py \
#       --cfg-options load_from=work_dirs/dcrd_vgg16_1xb2-150e_kaist/epoch_150.pth
# The "Baseline" row is the same fine-tuning from the student trained alone on KAIST RGB
# (dcrd-student_vgg16_1xb2-150e_kaist-rgb.py). The paper gives no fine-tuning schedule: ours is
# 12 epochs of the student's SGD (lr 1e-3, x0.1 after epoch 9), see README.
# Data (official layout): data/nightowls/nightowls_{training,validation}/*.png and the COCO-style
# nightowls_{training,validation}.json (categories 1 pedestrian, 2 bicycledriver,
# 3 motorbikedriver, 4 ignore); the test annotations are withheld, results are on validation.
_base_ = ['./dcrd-student_vgg16_1xb2-150e_kaist-rgb.py']

data_root = 'data/nightowls/'
img_scale = (1024, 640)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
# the metric takes each frame's ground truth from the data sample (``instances``)
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'instances')),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NightOwlsDataset',
        data_root=data_root,
        ann_file='nightowls_training.json',
        data_prefix=dict(img='nightowls_training/'),
        filter_cfg=dict(filter_empty_gt=False),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='NightOwlsDataset',
        data_root=data_root,
        ann_file='nightowls_validation.json',
        data_prefix=dict(img='nightowls_validation/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# NightOwls' evaluation is CityPersons' eval_MR_multisetup; Reasonable: height >= 50 px and
# not occluded (NightOwlsDataset turns the occlusion flag into the visible fraction)
val_evaluator = dict(
    _delete_=True, type='MissRateMetric', protocol='citypersons', setups=['Reasonable'])
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[9], gamma=0.1)
]
train_cfg = dict(max_epochs=12, val_interval=3)
# the validation set is where results are reported: the last checkpoint is the result
default_hooks = dict(checkpoint=dict(interval=3, save_best=None))
