# Table V, Caltech column: the DCRD-PDN student (distilled on KAIST RGB-thermal) fine-tuned on
# Caltech RGB frames (the usual 10x training set), evaluated on Caltech Reasonable:
#   mim train mmped configs/dcrl/dcrd-ft_vgg16_1xb2-12e_caltech.py \
#       --cfg-options load_from=work_dirs/dcrd_vgg16_1xb2-150e_kaist/epoch_150.pth
# The "Baseline" row: the same fine-tuning from the KAIST RGB-only student
# (dcrd-student_vgg16_1xb2-150e_kaist-rgb.py). Schedule (not given by the paper): 12 epochs of
# the student's SGD (lr 1e-3, x0.1 after epoch 9). Data: configs/_base_/datasets/caltech.py.
_base_ = ['./dcrd-ft_vgg16_1xb2-12e_nightowls.py']

data_root = 'data/caltech/'
img_scale = (640, 480)
# Caltech frames at their size, flip only (as configs/_base_/datasets/caltech.py)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# the NightOwls dataloaders with Caltech's dataset, files and pipelines
train_dataloader = dict(
    dataset=dict(
        type='CaltechDataset', data_root=data_root, ann_file='coco/train.json',
        data_prefix=dict(img='coco/images/'), pipeline=train_pipeline,
        # the usual Caltech training subset: persons >= 50 px and >= 65 % visible
        train_filter=dict(min_height=50, min_vis=0.65)))
val_dataloader = dict(
    dataset=dict(
        type='CaltechDataset', data_root=data_root, ann_file='coco/test.json',
        data_prefix=dict(img='coco/images/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
# Caltech-reasonable with the original toolbox (dbEval) protocol
val_evaluator = dict(
    _delete_=True, type='MissRateMetric', protocol='caltech',
    ann_file=data_root + 'coco/test.json', setups=['Reasonable'])
test_evaluator = val_evaluator
