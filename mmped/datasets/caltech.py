# Copyright (c) mmped contributors. All rights reserved.
"""Caltech Pedestrian dataset."""
from typing import List, Optional

from mmped.registry import DATASETS

from .parsers import parse_caltech
from .pedestrian_det import PedestrianDetDataset


@DATASETS.register_module()
class CaltechDataset(PedestrianDetDataset):
    """Caltech Pedestrian (Dollar et al., CVPR 2009 / PAMI 2012), 640x480 frames.

    ``ann_file``: COCO-style json (e.g. written by
    ``tools/dataset_converters/caltech_seq_to_coco.py``), a ``.vbb`` file or folder of them,
    or a folder of per-frame bbGt text files (original or "new" annotations). Frames are named
    ``setXX_VYYY_IZZZZZ``; set ``img_suffix='.jpg'`` when the parser's names carry no
    extension (vbb / bbGt input). Only ``person`` is non-ignored (``person?``, ``people``,
    ``ignore`` get ``ignore_flag=1``).

    Args:
        image_set (str, optional): Frame list for bbGt folders.
        skip (int): Frame sampling of ``.vbb`` input (30 test, 3 = the 10x train set).
        **kwargs: :class:`PedestrianDetDataset` arguments.
    """

    def __init__(self, *args, image_set: Optional[str] = None, skip: int = 30, **kwargs):
        self.image_set = image_set
        self.skip = skip
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> List[dict]:
        """Parse ``ann_file`` with the frame list / sampling options."""
        return parse_caltech(self.ann_file, image_set=self.image_set, skip=self.skip)
