# Copyright (c) mmped contributors. All rights reserved.
"""RPN anchor coverage: hand-worked IoUs and the shipped KAIST anchors on real annotations."""
import sys

import pytest
import torch

from mmped.models.task_modules import anchor_coverage, best_anchor_iou
from mmped.testing import REPO_ROOT, shared_file

ONE_ANCHOR = dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1.0])


def test_best_anchor_iou_by_hand():
    # 16 x 16 anchors centred on the stride-16 grid (0, 16, 32 in y; 0, 16 in x)
    gt = torch.tensor([[8.0, 8.0, 24.0, 24.0],    # on the anchor centred at (16, 16): 1
                       [12.0, 8.0, 28.0, 24.0],   # 4 px off: 192 / 320 = 0.6
                       [8.0, 8.0, 24.0, 40.0],    # 16 x 32 over two anchors: 256 / 512 = 0.5
                       [0.0, 0.0, 16.0, 16.0]])   # between four anchors: 64 / 448
    best = best_anchor_iou(gt, ONE_ANCHOR, (48, 32))
    torch.testing.assert_close(best, torch.tensor([1.0, 0.6, 0.5, 64 / 448]))
    cov = anchor_coverage(gt, ONE_ANCHOR, (48, 32), iou_thr=0.5, height_bins=(0, 20, 100))
    # IoU == threshold counts (>=): 3 of 4; the 32 px tall box is the one in [20, 100)
    assert cov == {'num': 4.0, 'all': 0.75, 'h[0,20)': 2 / 3, 'h[20,100)': 1.0}
    assert anchor_coverage(gt, ONE_ANCHOR, (48, 32), iou_thr=0.5 + 1e-6)['all'] == 0.5


def test_best_anchor_iou_matches_brute_force():
    """Nearest-centre search == max over every anchor of the image (boxes off the map too)."""
    from mmdet.models.task_modules.prior_generators import AnchorGenerator
    from mmdet.structures.bbox import bbox_overlaps
    cfg = dict(type='AnchorGenerator', strides=[16], ratios=[1.25, 2.44], scales=[0.9, 1.7, 3.0])
    g = torch.Generator().manual_seed(0)
    xy = torch.rand(300, 2, generator=g) * torch.tensor([120.0, 100.0]) - 10
    wh = torch.rand(300, 2, generator=g) * torch.tensor([40.0, 90.0]) + 4
    gt = torch.cat([xy, xy + wh], dim=1)
    gen = AnchorGenerator(strides=[16], ratios=[1.25, 2.44], scales=[0.9, 1.7, 3.0])
    anchors = gen.grid_priors([(6, 7)], device='cpu')[0]  # 96 x 112 input
    brute = bbox_overlaps(gt, anchors).max(dim=1).values
    torch.testing.assert_close(best_anchor_iou(gt, cfg, (96, 112)), brute)


@pytest.mark.realdata
def test_kaist_anchor_coverage_on_real_annotations():
    """Shipped DCRL anchors vs the 7-scale single-ratio anchors on the improved test set."""
    ann = shared_file('kaist', 'mlpd', 'KAIST_annotation.json')
    sys.path.insert(0, str(REPO_ROOT))
    try:
        from tools.analysis.anchor_coverage import main
    finally:
        sys.path.remove(str(REPO_ROOT))
    cfg = REPO_ROOT / 'configs' / 'dcrl' / 'dcrl_vgg16_1xb2-100e_kaist.py'
    new = main([str(cfg), str(ann)])
    assert new['num'] == 3390 and new['iou_thr'] == 0.5
    assert round(new['all'] * 3390) == 3086 and new['h[55,inf)'] > 0.99
    from mmped.datasets.parsers import parse_kaist
    gt = torch.tensor([i['bbox'] for r in parse_kaist(ann) for i in r['instances']
                       if not i['ignore_flag']])
    old = anchor_coverage(gt, dict(type='AnchorGenerator', strides=[16], ratios=[2.44],
                                   scales=[1.0, 1.6, 2.56, 4.1, 6.55, 10.49, 16.78]),
                          (512, 640))
    assert round(old['all'] * 3390) == 2681
    assert old['h[0,55)'] == pytest.approx(0.6247, abs=1e-4)
    assert new['h[0,55)'] == pytest.approx(0.8262, abs=1e-4)
