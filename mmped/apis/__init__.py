# Copyright (c) mmped contributors. All rights reserved.
"""Inference APIs, one module per task (see docs/inference.md)."""
from .attribute_reid import (
                             extract_reid_features,
                             inference_attributes,
                             init_ped_classifier,
                             search_gallery,
)
from .attributes import (
                         attribute_names,
                         crop_boxes,
                         inference_attribute_folder,
                         inference_attributes_on_image,
)
from .det_inferencer import PedDetInferencer, coco_results, image_ids_from_gt, init_ped_detector
from .person_search import (
                            GalleryIndex,
                            build_gallery_index,
                            draw_topk_strip,
                            init_person_search,
                            query_feature,
                            search_person,
)
from .reid import export_reid_features, load_reid_features
from .rgbt import (
                   inference_rgbt,
                   inference_rgbt_folders,
                   inference_rgbt_pairs,
                   init_rgbt_detector,
                   is_paired_model,
)

__all__ = [
    'init_ped_classifier', 'inference_attributes', 'extract_reid_features', 'search_gallery',
    'attribute_names', 'crop_boxes', 'inference_attributes_on_image',
    'inference_attribute_folder', 'PedDetInferencer', 'init_ped_detector', 'coco_results',
    'image_ids_from_gt', 'init_person_search', 'query_feature', 'GalleryIndex',
    'build_gallery_index', 'search_person', 'draw_topk_strip', 'export_reid_features',
    'load_reid_features', 'init_rgbt_detector', 'inference_rgbt', 'inference_rgbt_folders',
    'is_paired_model', 'inference_rgbt_pairs'
]
