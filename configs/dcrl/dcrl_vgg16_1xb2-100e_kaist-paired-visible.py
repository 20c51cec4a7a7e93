# Table I, MR^R (visible boxes): the teacher evaluated with the paired annotations of Zhang et
# al. ICCV'19 (annotations_paired/setXX/VYYY/{visible,lwir}/ as distributed). The metric takes
# the ground truth of each frame from the dataset (the ``instances`` of ``box_modality``,
# packed as meta information), so it scores exactly the boxes of the chosen modality.
_base_ = ['./dcrl_vgg16_1xb2-100e_kaist.py']
val_dataloader = dict(dataset=dict(ann_file='annotations_paired', box_modality='visible'))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=None)
test_evaluator = val_evaluator
