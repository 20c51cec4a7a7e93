# Copyright (c) mmped contributors. All rights reserved.
from .dahar import DAHAR
from .hpnet import HPNet
from .ped_image_classifier import PedImageClassifier

__all__ = ['HPNet', 'DAHAR']
__all__ += ['PedImageClassifier']
