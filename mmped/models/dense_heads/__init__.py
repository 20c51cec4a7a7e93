# Copyright (c) mmped contributors. All rights reserved.
from .gdfl_head import GDFLHead, PedestrianAnchorGenerator
from .seg_aux_head import BoxMaskSegHead

__all__ = ['GDFLHead', 'PedestrianAnchorGenerator', 'BoxMaskSegHead']
