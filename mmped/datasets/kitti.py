# Copyright (c) mmped contributors. All rights reserved.
"""KITTI object detection, pedestrian view."""
from typing import List, Optional

from mmped.registry import DATASETS

from .parsers import parse_kitti
from .pedestrian_det import PedestrianDetDataset


@DATASETS.register_module()
class KITTIPedestrianDataset(PedestrianDetDataset):
    """KITTI 2D object detection restricted to pedestrians.

    ``ann_file`` is ``training/label_2``; ``data_prefix.img`` is ``training/image_2``.
    ``Pedestrian`` boxes are the positives; ``Person_sitting`` (the protocol's neighbouring
    class), ``DontCare`` regions and all other types get ``ignore_flag=1`` (so detections on
    them are not penalised in training either); ``kitti_type``, ``truncation`` and
    ``occlusion`` are kept for the easy / moderate / hard protocol.

    Args:
        image_set (str, optional): Split file of 6-digit ids (e.g. ``ImageSets/val.txt``).
        keep_other_types (bool): Keep non-person objects as ignored instances (default False
            drops cars, cyclists...; ``DontCare`` and ``Person_sitting`` are always kept).
        **kwargs: :class:`PedestrianDetDataset` arguments.
    """

    def __init__(self, *args, image_set: Optional[str] = None, keep_other_types: bool = False,
                 **kwargs):
        self.image_set = image_set
        self.keep_other_types = keep_other_types
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> List[dict]:
        """Parse ``label_2`` (optionally a split), dropping unrelated types."""
        records = parse_kitti(self.ann_file, image_set=self.image_set)
        if not self.keep_other_types:
            keep = ('Pedestrian', 'Person_sitting', 'DontCare')
            for rec in records:
                rec['instances'] = [i for i in rec['instances'] if i['kitti_type'] in keep]
        return records
