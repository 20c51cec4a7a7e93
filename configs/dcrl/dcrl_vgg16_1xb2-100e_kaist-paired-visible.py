# Table I, MR^R (visible boxes): the teacher evaluated with the paired annotations of Zhang et
# al. ICCV'19 (annotations_paired/setXX/VYYY/{visible,lwir}/ as distributed). The metric takes
# the ground truth of each frame from the dataset (the ``instances`` of ``box_modality``,
# packed as meta information), so it scores exactly the boxes of the chosen modality.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
paired_test_pipeline = [
    dict(type='LoadPairedImageFromFile', lwir_channels=3, backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackPairedDetInputs',
        meta_keys=('img_id', 'img_path', 'lwir_path', 'ori_shape', 'img_shape', 'scale_factor',
                   'condition', 'modality_channels', 'instances')),
]
val_dataloader = dict(
    dataset=dict(
        ann_file='annotations_paired', box_modality='visible', pipeline=paired_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
