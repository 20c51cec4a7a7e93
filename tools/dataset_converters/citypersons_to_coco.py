# Copyright (c) mmped contributors. All rights reserved.
"""CityPersons raw annotations -> COCO-style json (the ``val_gt.json`` layout).

Input: ``anno_{train,val}.mat`` or a ``gtBboxCityPersons/<split>`` folder. Output keeps the
class of every box (``category``), the visible box, ``height`` and ``vis_ratio``; only
pedestrians (class 1) have ``ignore = 0``, as in the official ``val_gt.json``, so the file
can be used both for training (``CityPersonsDataset``) and evaluation (``MissRateMetric``).

Boxes that are not finite or have a negative width / height are rejected with file, image and
row. The output is never an existing file, except with ``--overwrite`` a json this converter
wrote itself (it carries ``info.converter``).

Example::

    python tools/dataset_converters/citypersons_to_coco.py \
        data/citypersons/annotations/anno_train.mat data/citypersons/annotations/train_gt.json
"""
import argparse
import json
import os.path as osp
import sys

from mmped.datasets.parsers import parse_citypersons
from mmped.datasets.parsers.coco_writer import records_to_coco, write_json_atomic

CONVERTER = 'mmped citypersons_to_coco'


def _written_by_us(path: str) -> bool:
    """Whether ``path`` is a json carrying this converter's ``info.converter`` marker."""
    try:
        with open(path, 'rb') as f:
            data = json.loads(f.read())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get('info'), dict) and \
        data['info'].get('converter') == CONVERTER


def main(argv=None):
    parser = argparse.ArgumentParser(description='CityPersons mat / gtBbox -> COCO json')
    parser.add_argument('src', help='anno_{train,val}.mat or gtBboxCityPersons/<split>')
    parser.add_argument('out', help='output json (must not exist)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT when it is a json this converter wrote')
    args = parser.parse_args(argv)
    try:
        if osp.lexists(args.out) and not (args.overwrite and _written_by_us(args.out)):
            raise ValueError(f'{args.out} exists; refusing to overwrite it'
                             + ('' if args.overwrite else ' (--overwrite replaces a json this '
                                'converter wrote)'))
        out_dir = osp.dirname(osp.abspath(args.out))
        if not osp.isdir(out_dir):
            raise ValueError(f'{args.out}: folder {out_dir} does not exist')
        print(f'parsing {args.src} ...', flush=True)
        records = parse_citypersons(args.src)
        coco = records_to_coco(records, im_name=True)
        coco['info'] = dict(converter=CONVERTER, source=osp.basename(osp.normpath(args.src)))
        path = write_json_atomic(args.out, coco, inputs=[args.src])
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    print(f'wrote {len(coco["images"])} images / {len(coco["annotations"])} boxes to {path}')
    return path


if __name__ == '__main__':
    main()
