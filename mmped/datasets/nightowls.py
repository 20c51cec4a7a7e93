# Copyright (c) mmped contributors. All rights reserved.
"""NightOwls pedestrians-at-night dataset (Neumann et al. ACCV'18), COCO-style annotations."""
from typing import List

from mmped.registry import DATASETS

from .parsers.common import (
    ImageRecord,
    PathLike,
    coco_records,
    iter_coco_annotations,
    load_coco_json,
    make_instance,
)
from .pedestrian_det import PedestrianDetDataset

#: NightOwls ``categories``: 1 pedestrian, 2 bicycledriver, 3 motorbikedriver, 4 ignore
NIGHTOWLS_PEDESTRIAN = 1


def parse_nightowls_json(path: PathLike) -> List[ImageRecord]:
    """Parse ``nightowls_training.json`` / ``nightowls_validation.json``.

    Only ``category_id == 1`` (pedestrian) boxes without the ``ignore`` flag are
    non-ignored; riders of bicycles / motorbikes and ignore regions are ignored. NightOwls
    marks occlusion with a flag (no visible box): occluded pedestrians get ``vis_ratio=0`` and
    ``occlusion=1`` (so the Reasonable setup, visible fraction >= 0.65, ignores them), the
    others ``vis_ratio=inf`` (not occluded).

    Args:
        path (str | Path): The json file.

    Returns:
        list[dict]: Image records (``img_id`` = the json id, ``file_name`` as in the json).
    """
    data = load_coco_json(path)
    records, by_id = coco_records(path, data, default_size=(1024, 640))
    for _, ann, rec, box in iter_coco_annotations(path, data, by_id):
        pedestrian = ann.get('category_id') == NIGHTOWLS_PEDESTRIAN
        occluded = bool(ann.get('occluded', False))
        rec['instances'].append(
            make_instance(box, not pedestrian or bool(ann.get('ignore', 0)),
                          'pedestrian' if pedestrian else f'category_{ann.get("category_id")}',
                          vis_ratio=0.0 if occluded else float('inf'),
                          occlusion=int(occluded), ann_id=ann.get('id')))
    return records


@DATASETS.register_module()
class NightOwlsDataset(PedestrianDetDataset):
    """NightOwls (RGB, night): ``ann_file`` the official COCO-style json, images under
    ``data_prefix['img']`` by their ``file_name``.

    Args:
        **kwargs: :class:`mmped.datasets.PedestrianDetDataset` arguments.
    """

    METAINFO = dict(classes=('pedestrian', ), palette=[(220, 20, 60)])
    parse = staticmethod(parse_nightowls_json)
