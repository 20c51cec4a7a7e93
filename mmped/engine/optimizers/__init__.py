# Copyright (c) mmped contributors. All rights reserved.
from .amp_optim_wrapper import CPUAmpOptimWrapper, amp_optim_wrapper_cfg

__all__ = ['CPUAmpOptimWrapper', 'amp_optim_wrapper_cfg']
