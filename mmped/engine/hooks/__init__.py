# Copyright (c) mmped contributors. All rights reserved.
from .distillation_hooks import DistillWeightHook, TeacherValHook

__all__ = ['DistillWeightHook', 'TeacherValHook']
