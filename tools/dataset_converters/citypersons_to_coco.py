# Copyright (c) mmped contributors. All rights reserved.
"""CityPersons raw annotations -> COCO-style json (the ``val_gt.json`` layout).

Input: ``anno_{train,val}.mat`` or a ``gtBboxCityPersons/<split>`` folder. Output keeps the
class of every box (``category``), the visible box, ``height`` and ``vis_ratio``; only
pedestrians (class 1) have ``ignore = 0``, as in the official ``val_gt.json``, so the file
can be used both for training (``CityPersonsDataset``) and evaluation (``MissRateMetric``).

Example::

    python tools/dataset_converters/citypersons_to_coco.py \
        data/citypersons/annotations/anno_train.mat data/citypersons/annotations/train_gt.json
"""
import argparse
import sys

from mmped.datasets.parsers import parse_citypersons
from mmped.datasets.parsers.coco_writer import records_to_coco, write_json_atomic


def main(argv=None):
    parser = argparse.ArgumentParser(description='CityPersons mat / gtBbox -> COCO json')
    parser.add_argument('src', help='anno_{train,val}.mat or gtBboxCityPersons/<split>')
    parser.add_argument('out', help='output json')
    args = parser.parse_args(argv)
    try:
        print(f'parsing {args.src} ...', flush=True)
        records = parse_citypersons(args.src)
        coco = records_to_coco(records, im_name=True)
        path = write_json_atomic(args.out, coco, inputs=[args.src])
    except ValueError as e:
        sys.exit(f'error: {e}')
    print(f'wrote {len(coco["images"])} images / {len(coco["annotations"])} boxes to {path}')
    return path


if __name__ == '__main__':
    main()
