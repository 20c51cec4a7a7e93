# Copyright (c) mmped contributors. All rights reserved.
"""Boundary cases of the box rasterisation rules (mmped/models/task_modules).

There is no reference code for the weak box masks (GDFL, DCRL, BUFF and Da-HAR only say "pixels
inside the box"); the rule pinned here is mmped's documented half-open one: a cell belongs to a
box when its centre ``c`` satisfies ``x1 <= c < x2`` (and the same vertically). Integer boxes at
even strides put box edges exactly on cell centres, so each side of the rule is tested there.
"""
import pytest
import torch

from mmped.models.task_modules import ScaleMaskTargets, box_index_map, box_masks


def _index_map_paths(boxes, shape, stride):
    """Both implementations of :func:`box_index_map` (CPU slice path and device path)."""
    height, width = shape
    cy = (torch.arange(height, dtype=torch.float32) + 0.5) * stride
    cx = (torch.arange(width, dtype=torch.float32) + 0.5) * stride
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    order = torch.sort(areas, stable=True).indices
    owner = torch.full(shape, -1, dtype=torch.long)
    return (box_masks._paint_slices(owner.clone(), boxes, order, cx, cy),
            box_masks._first_member(owner.clone(), boxes, order, cx, cy))


@pytest.mark.parametrize('path', [0, 1], ids=['cpu_slices', 'device_tensor_ops'])
def test_box_edges_exactly_on_cell_centres(path):
    """``x1 <= c`` includes a centre on the left/top edge, ``c < x2`` excludes one on the
    right/bottom edge: stride 4 puts centres at 2, 6, 10, and the box [2, 2, 6, 6] owns exactly
    the one cell whose centre is (2, 2) (``>`` or ``<=`` would give 0 or 4 cells)."""
    boxes = torch.tensor([[2., 2., 6., 6.]])
    owner = _index_map_paths(boxes, (3, 3), 4)[path]
    assert owner.tolist() == [[0, -1, -1], [-1, -1, -1], [-1, -1, -1]]
    assert torch.equal(box_index_map(boxes, (3, 3), 4), owner)


@pytest.mark.parametrize('path', [0, 1], ids=['cpu_slices', 'device_tensor_ops'])
def test_box_edge_just_past_a_centre(path):
    """An edge a hair right of a centre excludes it on the left and includes it on the right."""
    boxes = torch.tensor([[2.001, 0., 6.001, 4.]])  # x: excludes centre 2, includes centre 6
    owner = _index_map_paths(boxes, (1, 3), 4)[path]
    assert owner.tolist() == [[-1, 0, -1]]


def test_scale_class_at_the_height_threshold():
    """GDFL's scale class is ``1 + #(thresholds <= h)``: a box exactly 120 px high is large
    (class 2), one of 119.9 px is small (class 1); a strict ``<`` would make 120 px small."""
    targets = ScaleMaskTargets(height_thresholds=(120., ))
    boxes = torch.tensor([[0., 0., 1., 120.], [1., 0., 2., 119.9], [2., 0., 3., 120.1]])
    labels, heights, valid = targets(boxes, (121, 3))
    assert labels[0, 0].tolist() == [2, 1, 2]
    assert heights[0, 0].tolist() == pytest.approx([120., 119.9, 120.1], abs=1e-4)
    assert valid.all()


def test_height_range_ends_are_inclusive_in_whole_pixels():
    """CA-GDFL (Table II) layers own ``lo <= round(h) <= hi``: heights 30 and 89 belong to the
    (30, 89) layer, 89.6 (rounds to 90) and 29 do not; out-of-range pedestrians are ignored."""
    targets = ScaleMaskTargets(height_ranges=[(30, 89), (90, None)])
    hs = [30., 89., 89.6, 29.]
    boxes = torch.tensor([[i, 0., i + 1., h] for i, h in enumerate(hs)])
    labels, heights, valid = targets(boxes, (100, 4))
    assert labels[0, 0].tolist() == [1, 1, 0, 0]
    assert labels[1, 0].tolist() == [0, 0, 1, 0]
    # ignored where foreground of another layer only, valid background below every box
    assert valid[0, 0].tolist() == [True, True, False, False]
    assert valid[1, 0].tolist() == [False, False, True, False]
    assert valid[:, 99].all()
    assert heights[0, 0].tolist() == pytest.approx([30., 89., 0., 0.])
    assert heights[1, 0].tolist() == pytest.approx([0., 0., 89.6, 0.], abs=1e-4)


def test_out_of_range_background_keeps_the_pixel_valid():
    """With ``out_of_range='background'`` a pedestrian outside the range is a valid negative."""
    targets = ScaleMaskTargets(height_ranges=[(30, 89)], out_of_range='background')
    labels, _, valid = targets(torch.tensor([[0., 0., 1., 90.]]), (91, 1))
    assert labels[0, :90, 0].eq(0).all() and valid.all()


def test_ignore_box_only_where_no_real_box():
    """Ignore boxes invalidate cells owned by no real box; real boxes win where they overlap."""
    targets = ScaleMaskTargets(height_thresholds=())
    labels, _, valid = targets(torch.tensor([[0., 0., 2., 2.]]), (2, 4),
                               ignore_bboxes=torch.tensor([[1., 0., 3., 2.]]))
    assert labels[0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    assert valid[0].tolist() == [[True, True, False, True], [True, True, False, True]]


def test_single_row_and_single_column_grids():
    """Grids of height or width 1 are rasterised like any other (no early exit)."""
    assert box_index_map(torch.tensor([[0., 0., 2., 1.]]), (1, 3)).tolist() == [[0, 0, -1]]
    assert box_index_map(torch.tensor([[0., 1., 1., 3.]]), (3, 1)).tolist() == [[-1], [0], [0]]


def test_thin_boxes_are_ordered_by_their_true_area():
    """The smallest-area rule uses the real (sub-pixel) width and height: a 0.5 px wide box
    beats a 1 x 1 box where both contain the centre."""
    boxes = torch.tensor([[0., 0., 1., 1.], [0.25, 0., 0.75, 1.]])  # areas 1 and 0.5
    assert box_index_map(boxes, (1, 1)).tolist() == [[1]]
    boxes = torch.tensor([[0., 0., 1., 1.], [0., 0.25, 1., 0.75]])
    assert box_index_map(boxes, (1, 1)).tolist() == [[1]]


def test_boxes_to_mask_uses_the_stride_and_checks_value_count():
    mask = torch.tensor([[2., 2., 6., 6.]])
    assert box_masks.boxes_to_mask(mask, (2, 2), stride=4, values=torch.tensor([7])).tolist() \
        == [[7, 0], [0, 0]]
    out = box_masks.boxes_to_mask(mask, (2, 2), stride=4, values=torch.tensor([0.5]),
                                  background=-1.0)
    assert out.dtype == torch.float32 and out.tolist() == [[0.5, -1.0], [-1.0, -1.0]]
    # the output takes the values' dtype even with an integer background
    out = box_masks.boxes_to_mask(mask, (2, 2), stride=4, values=torch.tensor([0.5]))
    assert out.dtype == torch.float32 and out.tolist() == [[0.5, 0.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match='values has 2 entries for 1 boxes'):
        box_masks.boxes_to_mask(mask, (2, 2), values=torch.tensor([1, 2]))


def test_sub_pixel_box_height_and_strided_ignore_boxes():
    """Heights below 1 px are kept as they are (only clamped away from 0); ignore boxes are
    rasterised at the same stride as the real boxes."""
    targets = ScaleMaskTargets(height_thresholds=())
    _, heights, _ = targets(torch.tensor([[0., 0.25, 1., 0.75]]), (1, 2))
    assert heights[0].tolist() == [[0.5, 0.0]]
    labels, _, valid = targets(torch.zeros(0, 4), (2, 2), stride=4,
                               ignore_bboxes=torch.tensor([[2., 2., 6., 6.]]))
    assert valid[0].tolist() == [[False, True], [True, True]] and (labels == 0).all()
    with pytest.raises(ValueError, match="out_of_range must be 'ignore' or 'background'"):
        ScaleMaskTargets(out_of_range='drop')
