# Copyright (c) mmped contributors. All rights reserved.
"""Caltech Pedestrian dataset."""
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

from mmped.registry import DATASETS

from .parsers import parse_caltech
from .parsers.common import parse_error
from .pedestrian_det import PedestrianDetDataset

#: The six Caltech training sets (the test sets are set06-set10).
CALTECH_TRAIN_SETS = ('set00', 'set01', 'set02', 'set03', 'set04', 'set05')
_FRAME_NAME = re.compile(r'^(set\d{2})_(V\d{3})_I\d+')


def caltech_sequence(file_name: str) -> Optional[Tuple[str, str]]:
    """Set and video of a Caltech frame name.

    Args:
        file_name (str): ``[folder/]setXX_VYYY_IZZZZZ[.ext]``.

    Returns:
        tuple[str, str] | None: ``('setXX', 'setXX_VYYY')``, None for another name.
    """
    match = _FRAME_NAME.match(osp.basename(str(file_name)))
    if match is None:
        return None
    return match.group(1), f'{match.group(1)}_{match.group(2)}'


@DATASETS.register_module()
class CaltechDataset(PedestrianDetDataset):
    """Caltech Pedestrian (Dollar et al., CVPR 2009 / PAMI 2012), 640x480 frames.

    ``ann_file``: COCO-style json (e.g. written by
    ``tools/dataset_converters/caltech_seq_to_coco.py``), a ``.vbb`` file or folder of them,
    or a folder of per-frame bbGt text files (original or "new" annotations). Frames are named
    ``setXX_VYYY_IZZZZZ``; set ``img_suffix='.jpg'`` when the parser's names carry no
    extension (vbb / bbGt input). Only ``person`` is non-ignored (``person?``, ``people``,
    ``ignore`` get ``ignore_flag=1``).

    Validation split: Caltech has no official one, and its test sets (set06-set10) must not
    select checkpoints. ``sequences`` keeps whole sets or videos of ``ann_file``; the mmped
    configs validate on the training set ``set05`` (a whole set) and train on
    ``set00``-``set04`` (``configs/_base_/datasets/caltech.py``), so no
    frame and no video is shared between the two (neighbouring frames of one video are near
    duplicates, so a split by frame would leak).

    Args:
        image_set (str, optional): Frame list for bbGt folders.
        skip (int): Frame sampling of ``.vbb`` input (30 test, 3 = the 10x train set).
        sequences (Sequence[str], optional): Keep the frames of these sets (``'set05'``) or
            videos (``'set05_V003'``) only; a name that matches no frame of ``ann_file`` is
            an error. Default: every frame.
        **kwargs: :class:`PedestrianDetDataset` arguments.
    """

    def __init__(self, *args, image_set: Optional[str] = None, skip: int = 30,
                 sequences: Optional[Sequence[str]] = None, **kwargs):
        self.image_set = image_set
        self.skip = skip
        if isinstance(sequences, str):
            raise TypeError(f'sequences must be a list of names, got the string {sequences!r}')
        self.sequences = tuple(sequences) if sequences is not None else None
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> List[dict]:
        """Parse ``ann_file`` with the frame list / sampling options and ``sequences``.

        Returns:
            list[dict]: Image records of the selected sets / videos.
        """
        records = parse_caltech(self.ann_file, image_set=self.image_set, skip=self.skip)
        if self.sequences is None:
            return records
        names = []
        for rec in records:
            names.append(caltech_sequence(rec['file_name']))
            if names[-1] is None:
                raise parse_error(self.ann_file, rec['img_id'], 'file_name',
                                  f'{rec["file_name"]!r} is not a setXX_VYYY_IZZZZZ frame name, '
                                  'so `sequences` cannot select it')
        found = {n for pair in names for n in pair}
        missing = [s for s in self.sequences if s not in found]
        if missing:
            sets = sorted({pair[0] for pair in names})
            raise parse_error(self.ann_file, 'dataset', 'sequences',
                              f'{missing} match no frame (sets found: {sets})')
        keep = set(self.sequences)
        return [r for r, pair in zip(records, names) if keep.intersection(pair)]
