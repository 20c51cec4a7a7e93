# Copyright (c) mmped contributors. All rights reserved.
from .identity_balanced_sampler import IdentityBalancedSampler, identity_labels

__all__ = ['IdentityBalancedSampler', 'identity_labels']
