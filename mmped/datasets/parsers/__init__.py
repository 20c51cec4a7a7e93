# Copyright (c) mmped contributors. All rights reserved.
"""Pure-python annotation parsers of the pedestrian detection benchmarks.

Every ``parse_*`` function returns a list of image records (``img_id``, ``file_name``,
``width``, ``height``, ``instances``); see ``docs/det_benchmarks.md`` for the fields.
"""
from .caltech import (
    caltech_frame_name,
    parse_bbgt_dir,
    parse_caltech,
    parse_caltech_json,
    parse_dbeval_gt_cache,
    parse_vbb,
)
from .citypersons import (
    parse_citypersons,
    parse_citypersons_bbox_dir,
    parse_citypersons_json,
    parse_citypersons_mat,
)
from .common import ImageRecord, bbgt_vis_ratio, make_instance
from .inria import parse_inria, parse_inria_file
from .kaist import (
    kaist_condition,
    load_kaist_txt_results,
    parse_bbgt_file,
    parse_kaist,
    parse_kaist_json,
    parse_kaist_txt_dir,
)
from .kitti import (
    format_kitti_results,
    load_kitti_results,
    parse_kitti,
    parse_kitti_label,
    write_kitti_results,
)
from .mot import parse_mot, parse_mot_gt
from .results import group_detections, load_coco_results

__all__ = [
    'ImageRecord', 'make_instance', 'bbgt_vis_ratio', 'parse_citypersons',
    'parse_citypersons_json', 'parse_citypersons_mat', 'parse_citypersons_bbox_dir',
    'parse_kaist', 'parse_kaist_json', 'parse_kaist_txt_dir', 'parse_bbgt_file',
    'kaist_condition', 'load_kaist_txt_results', 'load_coco_results', 'group_detections',
    'parse_caltech', 'parse_caltech_json',
    'parse_dbeval_gt_cache', 'parse_vbb', 'parse_bbgt_dir', 'caltech_frame_name',
    'parse_inria', 'parse_inria_file', 'parse_kitti', 'parse_kitti_label', 'parse_mot',
    'format_kitti_results', 'load_kitti_results', 'write_kitti_results',
    'parse_mot_gt'
]
