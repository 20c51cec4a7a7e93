# Copyright (c) mmped contributors. All rights reserved.
"""Pick the right parser for a benchmark's ground truth / detection files."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .common import ImageRecord, PathLike

#: protocol / dataset name -> function name in :mod:`mmped.datasets.parsers`
_GT_PARSERS = {
    'citypersons': 'parse_citypersons',
    'caltech': 'parse_caltech',
    'caltech_new': 'parse_caltech',
    'kaist': 'parse_kaist',
    'inria': 'parse_inria',
}


#: dbEval experiment names -> mmped Caltech setup names
_DBEVAL_SETUPS = {
    'Reasonable': 'Reasonable',
    'All': 'All',
    'Occ=heavy': 'Heavy',
    'Occ=partial': 'Partial',
    'Scale=near': 'Near',
    'Scale=medium': 'Medium',
    'Scale=far': 'Far',
    'Small': 'Small',
}


def dbeval_cache_setup(path: PathLike) -> Optional[str]:
    """Setup of a ``dbEval`` GT cache from its name (``gt-Occ=heavy.mat`` -> ``'Heavy'``).

    Args:
        path (str | Path): The file.

    Returns:
        str | None: The Caltech setup name, or None when ``path`` is not a ``gt-*.mat`` cache.
    """
    p = Path(path)
    if p.suffix != '.mat' or not p.stem.startswith('gt-'):
        return None
    return _DBEVAL_SETUPS.get(p.stem[3:])


def load_ground_truth(path: PathLike, protocol: str,
                      image_set: Optional[PathLike] = None) -> List[ImageRecord]:
    """Parse ground truth of a miss-rate benchmark in any supported layout.

    Args:
        path (str | Path): Annotation file or folder.
        protocol (str): ``'citypersons'``, ``'caltech'``, ``'caltech_new'``, ``'kaist'`` or
            ``'inria'``.
        image_set (str | Path, optional): Frame list (KAIST / Caltech text folders; the frame
            names of a Caltech ``gt-*.mat`` cache).

    Returns:
        list[dict]: Image records.
    """
    from mmped.datasets import parsers

    if protocol not in _GT_PARSERS:
        raise KeyError(f'no ground-truth parser for {protocol!r}; '
                       f'choose from {sorted(_GT_PARSERS)}')
    fn = getattr(parsers, _GT_PARSERS[protocol])
    if protocol == 'caltech_new':  # the new-annotation dbEval's bbGt labels / visibility
        return fn(path, image_set=image_set, annotations='new')
    if protocol in ('kaist', 'caltech'):
        return fn(path, image_set=image_set)
    return fn(path)


def load_detections(path: PathLike, gt_images: Sequence[ImageRecord],
                    category_ids: Optional[Sequence[int]] = None
                    ) -> Dict[object, Tuple[np.ndarray, np.ndarray]]:
    """Read a detection result file, matching the ground truth's image ids.

    ``.json``: COCO results. ``.txt``: KAIST-style text with a leading 1-based image index
    (``idx,x,y,w,h,score``), where index k refers to the k-th ground-truth image record.
    A folder: Caltech toolbox results (``setXX/VYYY.txt`` or ``setXX/VYYY/IZZZZZ.txt``).

    Args:
        path (str | Path): The result file.
        gt_images (Sequence[dict]): Ground-truth image records (in test-list order).
        category_ids (Sequence[int], optional): COCO results: count only these categories
            (the official CityPersons script counts ``category_id == 1``); default all.

    Returns:
        dict: ``img_id -> (bboxes (D, 4) [x, y, w, h], scores (D,))``.
    """
    from .caltech import load_caltech_results
    from .kaist import load_kaist_txt_results
    from .results import load_coco_results

    if Path(path).is_dir():
        return load_caltech_results(path, gt_images)
    if Path(path).suffix == '.json':
        return load_coco_results(path, category_ids=category_ids)
    return load_kaist_txt_results(path, [r['img_id'] for r in gt_images])
