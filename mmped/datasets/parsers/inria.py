# Copyright (c) mmped contributors. All rights reserved.
"""INRIA Person annotations (PASCAL Annotation Version 1.00 text files)."""
import re
from pathlib import Path
from typing import List

from .common import ImageRecord, PathLike, make_instance, parse_error, read_lines

_FILE_RE = re.compile(r'Image filename\s*:\s*"([^"]+)"')
_SIZE_RE = re.compile(r'Image size \(X x Y x C\)\s*:\s*(\d+)\s*x\s*(\d+)')
_BOX_RE = re.compile(r'Bounding box for object (\d+) "([^"]+)" \(Xmin, Ymin\) - \(Xmax, Ymax\)\s*:'
                     r'\s*\(\s*(-?\d+(?:\.\d*)?)\s*,\s*(-?\d+(?:\.\d*)?)\s*\)\s*-\s*'
                     r'\(\s*(-?\d+(?:\.\d*)?)\s*,\s*(-?\d+(?:\.\d*)?)\s*\)')


def parse_inria_file(path: PathLike, img_id=None) -> ImageRecord:
    """Parse one INRIA / PASCAL v1 annotation file.

    Args:
        path (str | Path): The ``.txt`` annotation.
        img_id (Any, optional): Id to give the record; default: the file stem.

    Returns:
        dict: Image record; every ``PAS*`` object is a non-ignored pedestrian (no occlusion
        information: ``vis_ratio`` = ``inf``); boxes are ``[Xmin, Ymin, Xmax - Xmin,
        Ymax - Ymin]`` as the Caltech toolbox's PASCAL loader.
    """
    lines = read_lines(path)
    file_name, width, height, instances = None, 0, 0, []
    for ln, line in enumerate(lines, start=1):
        if line.startswith('Image filename'):
            m = _FILE_RE.search(line)
            if m is None:
                raise parse_error(path, f'line {ln}', 'Image filename', f'cannot read {line!r}')
            file_name = m.group(1)
        elif line.startswith('Image size'):
            m = _SIZE_RE.search(line)
            if m is None:
                raise parse_error(path, f'line {ln}', 'Image size', f'cannot read {line!r}')
            width, height = int(m.group(1)), int(m.group(2))
        elif line.startswith('Bounding box for object'):
            m = _BOX_RE.search(line)
            if m is None:
                raise parse_error(path, f'line {ln}', 'Bounding box', f'cannot read {line!r}')
            x1, y1, x2, y2 = (float(v) for v in m.groups()[2:])
            if x2 < x1 or y2 < y1:
                raise parse_error(path, f'line {ln}', 'Bounding box', 'Xmax < Xmin or Ymax < Ymin')
            instances.append(make_instance([x1, y1, x2 - x1, y2 - y1], False, m.group(2)))
    if file_name is None:
        raise parse_error(path, 'header', 'Image filename', 'missing')
    return dict(img_id=Path(path).stem if img_id is None else img_id, file_name=file_name,
                width=width, height=height, instances=instances)


def parse_inria(path: PathLike) -> List[ImageRecord]:
    """Parse an INRIA annotation file or a folder of them (sorted by name).

    Args:
        path (str | Path): ``Test/annotations`` folder or one ``.txt`` file.

    Returns:
        list[dict]: Image records (``img_id`` = file stem, e.g. ``crop_000001``).
    """
    path = Path(path)
    files = sorted(path.glob('*.txt')) if path.is_dir() else [path]
    if not files:
        raise parse_error(path, 'folder', '*.txt', 'no annotation file found')
    return [parse_inria_file(f) for f in files]
