# Copyright (c) mmped contributors. All rights reserved.
from .distillation_hooks import DistillWeightHook, TeacherValHook
from .visualization_hook import PedVisualizationHook

__all__ = ['DistillWeightHook', 'TeacherValHook', 'PedVisualizationHook']
