# Copyright (c) mmped contributors. All rights reserved.
from .bottom_up_fusion_roi_extractor import BottomUpFusionRoIExtractor
from .multispectral_roi_head import MultispectralRoIHead, SegAuxRoIHead
from .person_search_bbox_head import PersonSearchBBoxHead
from .person_search_reid_head import PersonSearchReIDHead
from .person_search_roi_head import PersonSearchRoIHead
from .single_level_roi_extractor import SingleLevelRoIExtractor

__all__ = [
    'MultispectralRoIHead', 'SegAuxRoIHead', 'BottomUpFusionRoIExtractor',
    'PersonSearchBBoxHead', 'PersonSearchReIDHead', 'PersonSearchRoIHead',
    'SingleLevelRoIExtractor'
]
