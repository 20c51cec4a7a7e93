# Copyright (c) mmped contributors. All rights reserved.
"""Values and boundaries of the anchor-coverage analysis and of the box rasterisation dtypes.

``best_anchor_iou`` must equal the brute-force maximum IoU over every anchor mmdet's
``AnchorGenerator.grid_priors`` lays on the image (the reference: the RPN assigner sees exactly
those anchors), also with several levels, rectangular strides, an image size that is not a
multiple of the stride (``ceil`` feature-map sizes) and boxes beyond the map (clipped cells).
``anchor_coverage`` counts ``IoU >= iou_thr`` and bins heights half-open ``[lo, hi)``.
"""
import math

import pytest
import torch
from mmdet.models.task_modules.prior_generators import AnchorGenerator
from mmdet.structures.bbox import bbox_overlaps

from mmped.models.task_modules import (
    ScaleMaskTargets,
    anchor_coverage,
    best_anchor_iou,
    box_index_map,
    box_masks,
)

TWO_LEVELS = dict(strides=[(8, 16), (32, 24)], ratios=[0.5, 2.0], scales=[1.0, 2.5])


def _brute_force(gt, image_size, center_offset):
    gen = AnchorGenerator(**TWO_LEVELS, center_offset=center_offset)
    sizes = [(math.ceil(image_size[0] / sy), math.ceil(image_size[1] / sx))
             for sx, sy in gen.strides]
    anchors = torch.cat(gen.grid_priors(sizes, device='cpu'))
    return bbox_overlaps(gt, anchors).max(dim=1).values


@pytest.mark.parametrize('center_offset', [0.0, 0.5])
def test_best_anchor_iou_is_the_brute_force_maximum_over_levels_and_rectangular_strides(
        center_offset):
    """Two levels with ``sx != sy`` on a 70 x 90 image (not a stride multiple), boxes off the
    map on every side, anchors at the cell corner or centre: the nearest-centre search equals
    the maximum over all anchors."""
    g = torch.Generator().manual_seed(3)
    xy = torch.rand(200, 2, generator=g) * torch.tensor([130.0, 110.0]) - 20
    wh = torch.rand(200, 2, generator=g) * torch.tensor([60.0, 80.0]) + 3
    gt = torch.cat([xy, xy + wh], dim=1)
    cfg = dict(type='AnchorGenerator', **TWO_LEVELS, center_offset=center_offset)
    best = best_anchor_iou(gt, cfg, (70, 90))
    torch.testing.assert_close(best, _brute_force(gt, (70, 90), center_offset))
    # integer boxes reach the function unchanged (cast to float inside)
    torch.testing.assert_close(best_anchor_iou(gt.round().long(), cfg, (70, 90)),
                               _brute_force(gt.round(), (70, 90), center_offset))


def test_anchor_coverage_thresholds_and_height_bins_by_hand():
    """One 16 x 16 anchor per stride-16 cell: a box on an anchor has IoU 1, one shifted by 4 px
    ``192 / 320 = 0.6``; the default threshold 0.5 and default bins ``[0, 55)``, ``[55, inf)``
    apply; a height exactly on a bin edge belongs to the upper bin."""
    cfg = dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1.0])
    gt = torch.tensor([[8.0, 8.0, 24.0, 24.0],     # IoU 1, h 16
                       [12.0, 8.0, 28.0, 24.0],    # IoU 0.6, h 16
                       [0.0, 0.0, 4.0, 55.0],      # h exactly 55: bin [55, inf), IoU < 0.5
                       [40.0, 0.0, 44.0, 54.0]])   # h 54: bin [0, 55), IoU < 0.5
    cov = anchor_coverage(gt, cfg, (64, 64))
    assert cov == {'num': 4.0, 'all': 0.5, 'h[0,55)': 2 / 3, 'h[55,inf)': 0.0}
    cov = anchor_coverage(gt, cfg, (64, 64), iou_thr=0.6)
    assert cov['all'] == 0.5 and cov['h[0,55)'] == 2 / 3
    cov = anchor_coverage(gt, cfg, (64, 64), iou_thr=0.61, height_bins=(16, 17, 60))
    assert cov == {'num': 4.0, 'all': 0.25, 'h[16,17)': 0.5, 'h[17,60)': 0.0}


def test_anchor_coverage_of_no_boxes_and_empty_bins_is_nan():
    cfg = dict(type='AnchorGenerator', strides=[16], ratios=[1.0], scales=[1.0])
    cov = anchor_coverage(torch.zeros(0, 4), cfg, (32, 32))
    assert cov['num'] == 0.0 and math.isnan(cov['all'])
    assert math.isnan(cov['h[0,55)']) and math.isnan(cov['h[55,inf)'])
    cov = anchor_coverage(torch.tensor([[8.0, 8.0, 24.0, 24.0]]), cfg, (32, 32))
    assert cov['all'] == 1.0 and cov['h[0,55)'] == 1.0 and math.isnan(cov['h[55,inf)'])


@pytest.mark.parametrize('path', ['cpu_slices', 'device_tensor_ops'])
def test_identical_boxes_belong_to_the_lowest_index(path):
    """Ties of equal area go to the lower index (the stable (area, index) order): with 40 copies
    of one box, enough for an unstable sort to reorder them, every cell is box 0's."""
    boxes = torch.tensor([[0.0, 0.0, 4.0, 2.0]]).repeat(40, 1)
    boxes[1::3] = torch.tensor([-1.0, 0.0, 5.0, 2.0])  # larger boxes: the sort moves them
    if path == 'cpu_slices':
        owner = box_index_map(boxes, (2, 4))
    else:
        centres = torch.arange(4, dtype=torch.float32) + 0.5
        order = torch.sort((boxes[:, 2] - boxes[:, 0]) * 2, stable=True).indices
        owner = box_masks._first_member(torch.full((2, 4), -1), boxes, order, centres,
                                        centres[:2])
    assert owner.tolist() == [[0, 0, 0, 0], [0, 0, 0, 0]]
    assert owner.dtype == torch.long


def test_index_maps_and_masks_keep_their_dtypes_for_any_box_dtype():
    """Index maps are long whatever the box dtype (float, half, int, empty); binary masks
    without values are long; targets' heights are float32 and validity is boolean."""
    for boxes in (torch.tensor([[0.0, 0.0, 1.0, 1.0]]), torch.tensor([[0, 0, 1, 1]]),
                  torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=torch.float64), torch.zeros(0, 4)):
        owner = box_index_map(boxes, (2, 2))
        assert owner.dtype == torch.long
        assert owner.tolist() == ([[0, -1], [-1, -1]] if len(boxes) else [[-1, -1], [-1, -1]])
        mask = box_masks.boxes_to_mask(boxes, (2, 2))
        assert mask.dtype == torch.long and mask.sum().item() == len(boxes)
    assert box_index_map(torch.tensor([[0.0, 0.0, 1.0, 1.0]]), (0, 3)).shape == (0, 3)
    labels, heights, valid = ScaleMaskTargets(height_thresholds=())(
        torch.tensor([[0.0, 0.0, 1.0, 1.0]], dtype=torch.float64), (1, 2),
        ignore_bboxes=torch.zeros(0, 4))
    assert labels.dtype == torch.long and labels.tolist() == [[[1, 0]]]
    assert heights.dtype == torch.float32 and valid.dtype == torch.bool and valid.all()
