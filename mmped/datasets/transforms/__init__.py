# Copyright (c) mmped contributors. All rights reserved.
from .attribute_crops import FiveCrop, RandomCornerCrop
from .paired import LoadPairedImageFromFile, PackPairedDetInputs, PerModalityTransform
from .person_mask import LoadPersonMask
from .person_search import LoadPersonSearchAnnotations, PackPersonSearchInputs

__all__ = [
    'FiveCrop', 'RandomCornerCrop', 'LoadPersonMask', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs'
]
__all__ += ['LoadPairedImageFromFile', 'PerModalityTransform', 'PackPairedDetInputs']
