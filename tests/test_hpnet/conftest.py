# Copyright (c) mmped contributors. All rights reserved.
"""Fixtures of the HP-net tests."""
import pytest
import torch


@pytest.fixture
def images():
    return torch.randn(4, 3, 64, 32, generator=torch.Generator().manual_seed(1))
