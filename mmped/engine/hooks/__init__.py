# Copyright (c) mmped contributors. All rights reserved.
from .attribute_pos_ratio_hook import AttributePosRatioHook

__all__ = ['AttributePosRatioHook']
