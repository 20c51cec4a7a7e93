# Copyright (c) mmped contributors. All rights reserved.
"""Stage 2 validates the branch it trains."""
import pytest
import torch

from .hpnet_test_utils import build_tiny_hpnet


@pytest.mark.parametrize('branches, expected', [([0], 0), ([1], 1), ([0, 1], 1), (None, 2)])
def test_stage2_predicts_with_a_trained_branch(images, branches, expected):
    model = build_tiny_hpnet(stage=2, train_branches=branches).eval()
    assert model.predict_branch == expected
    assert expected in model.train_branches
    with torch.no_grad():
        _, pooled, _ = model.extract_branch_feats(images, [expected])
        torch.testing.assert_close(model(images), model.branch_heads[expected]((pooled[0], )))


def test_explicit_predict_branch_is_kept(images):
    model = build_tiny_hpnet(stage=2, train_branches=[0], predict_branch=-1)
    assert model.predict_branch == 2
