# Copyright (c) mmped contributors. All rights reserved.
from .channel_adaptive_attention import ChannelAdaptiveAttention
from .graininess_attention import GraininessAttention
from .multi_level_fusion import MultiLevelFusion
from .zoom_in_zoom_out import ZoomInZoomOut

__all__ = ['ChannelAdaptiveAttention', 'GraininessAttention', 'ZoomInZoomOut', 'MultiLevelFusion']
