# Copyright (c) mmped contributors. All rights reserved.
"""INRIA Person dataset."""
from mmped.registry import DATASETS

from .parsers import parse_inria
from .pedestrian_det import PedestrianDetDataset


@DATASETS.register_module()
class INRIADataset(PedestrianDetDataset):
    """INRIA Person (Dalal & Triggs, CVPR 2005): ``ann_file`` is ``Test/annotations`` (or
    ``Train/annotations``) with PASCAL v1 text files; image paths come from their
    ``Image filename`` lines (``Test/pos/crop_000001.png``), relative to ``data_prefix.img``
    (the ``INRIAPerson`` root). Every annotated person is non-ignored (no occlusion labels).
    Image ids are the annotation file stems (``crop_000001``).

    Validation split: INRIA has none, and its test set must not select checkpoints. The mmped
    configs (``configs/_base_/datasets/inria.py``) hold out every 10th of the 614 annotated
    training images in ``img_id`` order (``holdout=dict(every=10, part='val')``: the 1st, 11th,
    21st, ... file name in sorted order, 62 images) and train on the other 552
    (``part='train'``); see the ``holdout`` option of :class:`PedestrianDetDataset`.
    """

    parse = staticmethod(parse_inria)
