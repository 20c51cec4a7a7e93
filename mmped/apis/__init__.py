# Copyright (c) mmped contributors. All rights reserved.
from .attribute_reid import (
                             extract_reid_features,
                             inference_attributes,
                             init_ped_classifier,
                             search_gallery,
)

__all__ = [
    'init_ped_classifier', 'inference_attributes', 'extract_reid_features', 'search_gallery'
]
