# Copyright (c) mmped contributors. All rights reserved.
from .distill_faster_rcnn import DistillFasterRCNN
from .gdfl import GDFL
from .multispectral_faster_rcnn import MultispectralFasterRCNN, SegAuxFasterRCNN
from .person_search import PersonSearchRCNN

__all__ = [
    'GDFL', 'DistillFasterRCNN', 'MultispectralFasterRCNN', 'SegAuxFasterRCNN', 'PersonSearchRCNN'
]
