# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det dataset."""
from mmped.registry import DATASETS

from .parsers import parse_mot
from .pedestrian_det import PedestrianDetDataset


@DATASETS.register_module()
class MOT17DetDataset(PedestrianDetDataset):
    """MOT17Det (Milan et al., 2016): ``ann_file`` is the split folder (``MOT17Det/train``
    with ``<seq>/gt/gt.txt``) or one ``gt.txt``; ``data_prefix.img`` is that split folder
    (images ``<seq>/img1/<frame:06d>.jpg``). Class 1 with ``flag = 1`` is non-ignored;
    ambiguous people (person on vehicle, static person, distractor, reflection) and
    ``flag = 0`` rows get ``ignore_flag=1``; vehicles / occluders are dropped. ``vis_ratio``
    is the annotated visibility and ``track_id`` the identity.
    """

    parse = staticmethod(parse_mot)
