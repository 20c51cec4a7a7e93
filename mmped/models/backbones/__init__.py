# Copyright (c) mmped contributors. All rights reserved.
from .bn_inception import BNInception
from .two_stream_vgg import TwoStreamVGG, VGG16Stream
from .vgg16_det import VGG16Det

__all__ = ['BNInception', 'VGG16Det', 'TwoStreamVGG', 'VGG16Stream']
