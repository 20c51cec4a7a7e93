# Copyright (c) mmped contributors. All rights reserved.
"""CityPersons dataset."""
from mmped.registry import DATASETS

from .parsers import parse_citypersons
from .pedestrian_det import PedestrianDetDataset


@DATASETS.register_module()
class CityPersonsDataset(PedestrianDetDataset):
    """CityPersons (Zhang et al., CVPR 2017) on Cityscapes ``leftImg8bit`` images.

    ``ann_file`` is the official COCO-style json (``val_gt.json``), ``anno_{train,val}.mat``
    or a ``gtBboxCityPersons/<split>`` folder. Image paths are
    ``<data_prefix.img>/<city>/<name>_leftImg8bit.png``. Only class 1 (pedestrian) is
    non-ignored; ignore regions, riders, sitting / other persons and groups have
    ``ignore_flag=1``. Typical training filter: ``train_filter=dict(min_height=50,
    min_vis=0.65)`` (the Reasonable subset).
    """

    parse = staticmethod(parse_citypersons)
