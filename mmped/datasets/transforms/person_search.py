# Copyright (c) mmped contributors. All rights reserved.
"""Pipeline steps that carry person identities (``gt_instances.person_ids``) and queries."""
from typing import Optional

import numpy as np
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs

from mmped.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPersonSearchAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` plus ``gt_person_ids`` (int64, -1 = unlabelled).

    Geometric transforms (resize, flip, pad) keep the box order, so ids stay aligned with
    ``gt_bboxes``. Transforms that drop boxes must not be used before packing.

    Args:
        **kwargs: ``LoadAnnotations`` arguments (``with_bbox=True`` by default).
    """

    def transform(self, results: dict) -> Optional[dict]:
        """Load boxes / labels and the person ids of ``results['instances']``."""
        results = super().transform(results)
        results['gt_person_ids'] = np.array(
            [inst.get('person_id', -1) for inst in results.get('instances', [])],
            dtype=np.int64)
        return results


@TRANSFORMS.register_module()
class PackPersonSearchInputs(PackDetInputs):
    """``PackDetInputs`` that also packs ``gt_instances.person_ids`` and the query metadata.

    ``queries`` (test images, see :mod:`mmped.datasets.person_search`) and ``cam_id`` are added
    to the default meta keys; query boxes stay in original-image coordinates (the model maps them
    with ``scale_factor`` / ``flip``).
    """

    mapping_table = dict(PackDetInputs.mapping_table, gt_person_ids='person_ids')

    def __init__(self,
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                            'flip', 'flip_direction', 'cam_id', 'queries')) -> None:
        super().__init__(meta_keys=meta_keys)
