# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det dataset."""
import configparser
from pathlib import Path
from typing import List, Optional, Sequence

from mmped.registry import DATASETS

from .parsers import parse_mot
from .parsers.common import parse_error
from .pedestrian_det import PedestrianDetDataset

#: The seven MOT17Det training sequences (public ground truth).
MOT17DET_TRAIN_SEQUENCES = ('MOT17-02', 'MOT17-04', 'MOT17-05', 'MOT17-09', 'MOT17-10',
                            'MOT17-11', 'MOT17-13')
#: The seven MOT17Det test sequences (ground truth held by the benchmark server).
MOT17DET_TEST_SEQUENCES = ('MOT17-01', 'MOT17-03', 'MOT17-06', 'MOT17-07', 'MOT17-08',
                           'MOT17-12', 'MOT17-14')


def sequence_of(img_id: str) -> str:
    """Sequence name of a MOT frame id ``<seq>/<frame:06d>``."""
    return str(img_id).split('/')[0]


@DATASETS.register_module()
class MOT17DetDataset(PedestrianDetDataset):
    """MOT17Det (Milan et al., 2016), selectable by sequence.

    ``ann_file`` is a split folder (``MOT17Det/train`` with ``<seq>/gt/gt.txt``, or
    ``MOT17Det/test`` whose sequences have no ground truth) or one ``gt.txt``;
    ``data_prefix.img`` is that split folder (images ``<seq>/img1/<frame:06d>.jpg``). Class 1
    with ``flag = 1`` is non-ignored; ambiguous people (person on vehicle, static person,
    distractor, reflection) and ``flag = 0`` rows get ``ignore_flag=1``; vehicles / occluders
    are dropped. ``vis_ratio`` is the annotated visibility and ``track_id`` the identity.

    A split folder without any ``gt/gt.txt`` (the test split) gives one record per frame of
    every sequence (``seqLength``, ``imWidth``, ``imHeight`` of its ``seqinfo.ini``) with no
    instances, for inference and :class:`MOTChallengeDetWriter` submissions.

    Args:
        sequences (Sequence[str], optional): Keep these sequences only (names such as
            ``'MOT17-09'``); a name not found in ``ann_file`` is an error. Default: all.
        **kwargs: :class:`PedestrianDetDataset` arguments.
    """

    def __init__(self, *args, sequences: Optional[Sequence[str]] = None, **kwargs) -> None:
        self.sequences = tuple(sequences) if sequences is not None else None
        super().__init__(*args, **kwargs)

    def parse_annotations(self) -> List[dict]:
        """Frame records of the selected sequences (GT from ``gt.txt``, none for the test split).

        Returns:
            list[dict]: Image records sorted by sequence and frame.
        """
        path = Path(self.ann_file)
        if path.is_dir() and not any(path.glob('*/gt/gt.txt')):
            records = _frames_without_gt(path)
        else:
            records = parse_mot(path)
        if self.sequences is None:
            return records
        found = {sequence_of(r['img_id']) for r in records}
        missing = [s for s in self.sequences if s not in found]
        if missing:
            raise parse_error(self.ann_file, 'dataset', 'sequences',
                              f'{missing} not found (available: {sorted(found)})')
        keep = set(self.sequences)
        return [r for r in records if sequence_of(r['img_id']) in keep]


def _frames_without_gt(split_dir: Path) -> List[dict]:
    """One record per frame of each ``<seq>/seqinfo.ini`` of a split folder without GT."""
    records = []
    inis = sorted(split_dir.glob('*/seqinfo.ini'))
    if not inis:
        raise parse_error(split_dir, 'folder', '<seq>/gt/gt.txt or <seq>/seqinfo.ini',
                          'no sequence found')
    for ini in inis:
        parser = configparser.ConfigParser()
        parser.read(ini)
        if 'Sequence' not in parser:
            raise parse_error(ini, 'file', '[Sequence]', 'section missing')
        sec = parser['Sequence']
        try:
            length = int(sec['seqLength'])
            width, height = int(sec.get('imWidth', 0)), int(sec.get('imHeight', 0))
        except (KeyError, ValueError) as err:
            raise parse_error(ini, '[Sequence]', 'seqLength/imWidth/imHeight',
                              f'missing or not an integer ({err})') from None
        seq = ini.parent.name
        img_dir = sec.get('imDir', 'img1')
        ext = sec.get('imExt', '.jpg')
        records += [dict(img_id=f'{seq}/{f:06d}', file_name=f'{seq}/{img_dir}/{f:06d}{ext}',
                         width=width, height=height, instances=[])
                    for f in range(1, length + 1)]
    return records
