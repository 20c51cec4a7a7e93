# Copyright (c) mmped contributors. All rights reserved.
from .attribute_crops import FiveCrop, RandomCornerCrop
from .paired import (
                     LoadPairedImageFromFile,
                     LoadPairedImageFromNDArray,
                     PackPairedDetInputs,
                     PerModalityTransform,
                     stack_pair,
)
from .person_mask import LoadPersonMask
from .person_search import LoadPersonSearchAnnotations, PackPersonSearchInputs

__all__ = [
    'FiveCrop', 'RandomCornerCrop', 'LoadPersonMask', 'LoadPersonSearchAnnotations',
    'PackPersonSearchInputs'
]
__all__ += [
    'LoadPairedImageFromFile', 'LoadPairedImageFromNDArray', 'PerModalityTransform',
    'PackPairedDetInputs', 'stack_pair'
]
