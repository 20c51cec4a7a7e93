# Copyright (c) mmped contributors. All rights reserved.
from .l2norm import L2Norm

__all__ = ['L2Norm']
