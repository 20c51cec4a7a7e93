# Copyright (c) mmped contributors. All rights reserved.
from .visualization_hook import PedVisualizationHook

__all__ = ['PedVisualizationHook']
