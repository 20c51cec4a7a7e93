# Copyright (c) mmped contributors. All rights reserved.
from .multimodal_preprocessor import MultiModalDetDataPreprocessor

__all__ = ['MultiModalDetDataPreprocessor']
