# Copyright (c) mmped contributors. All rights reserved.
import pytest
import torch

from mmped.models.task_modules import box_index_map, box_masks, boxes_to_mask


def test_index_map_centre_rule_and_smallest_box_wins():
    boxes = torch.tensor([
        [0., 0., 4., 4.],   # area 16
        [2., 2., 4., 6.],   # area 8: wins the overlap with box 0
        [5., 0., 6., 1.],   # area 1
    ])
    owner = box_index_map(boxes, (6, 6))
    expected = torch.tensor([
        [0, 0, 0, 0, -1, 2],
        [0, 0, 0, 0, -1, -1],
        [0, 0, 1, 1, -1, -1],
        [0, 0, 1, 1, -1, -1],
        [-1, -1, 1, 1, -1, -1],
        [-1, -1, 1, 1, -1, -1],
    ])
    assert torch.equal(owner, expected)


def test_index_map_with_stride_uses_cell_centres():
    # stride 4: cell centres at 2, 6, 10; a box [3, 3, 7, 7] contains only the centre (6, 6)
    owner = box_index_map(torch.tensor([[3., 3., 7., 7.]]), (3, 3), stride=4)
    assert owner.tolist() == [[-1, -1, -1], [-1, 0, -1], [-1, -1, -1]]


def test_equal_areas_lower_index_wins_and_empty_input():
    boxes = torch.tensor([[0., 0., 2., 2.], [0., 0., 2., 2.]])
    assert (box_index_map(boxes, (2, 2)) == 0).all()
    empty = box_index_map(torch.zeros((0, 4)), (3, 5))
    assert empty.shape == (3, 5) and (empty == -1).all()


def test_boxes_to_mask_values_and_background():
    boxes = torch.tensor([[0., 0., 2., 2.], [1., 1., 2., 2.]])
    heights = torch.tensor([2.0, 1.0])
    mask = boxes_to_mask(boxes, (3, 3), values=heights, background=-1.0)
    assert mask.tolist() == [[2., 2., -1.], [2., 1., -1.], [-1., -1., -1.]]
    binary = boxes_to_mask(boxes, (3, 3))
    assert binary.dtype == torch.long and int(binary.sum()) == 4


@pytest.mark.parametrize('path,budget', [('cpu', None), ('device', 1 << 25), ('device', 1),
                                         ('device', 3000)])
def test_index_map_matches_the_centre_rule_on_random_boxes(path, budget, monkeypatch, device):
    # brute force over every (box, cell) pair: centre inside, smallest area, then lower index.
    # Both implementations: the CPU slice writes and the accelerator's tensor-only path (run here
    # on CPU tensors), whose small membership budgets split the boxes into chunks
    if path == 'device':
        monkeypatch.setattr(box_masks, '_MEMBERSHIP_ELEMENTS', budget)
        monkeypatch.setattr(box_masks, '_paint_slices', box_masks._first_member)
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(25, 2, generator=gen) * 90 - 10
    wh = torch.rand(25, 2, generator=gen) * 40
    boxes = torch.cat([xy, xy + wh], dim=1)
    boxes[3] = boxes[7]  # an exact duplicate: the lower index wins
    for stride in (1.0, 4.0, 2.5):
        h, w = int(80 / stride), int(96 / stride)
        owner = box_index_map(boxes.to(device), (h, w), stride=stride).cpu()
        cy = (torch.arange(h) + 0.5) * stride
        cx = (torch.arange(w) + 0.5) * stride
        inside = ((cy[None, :, None] >= boxes[:, 1, None, None])
                  & (cy[None, :, None] < boxes[:, 3, None, None])
                  & (cx[None, None, :] >= boxes[:, 0, None, None])
                  & (cx[None, None, :] < boxes[:, 2, None, None]))
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        key = torch.where(inside, areas[:, None, None] * 1000 + torch.arange(25)[:, None, None],
                          torch.tensor(float('inf')))
        best = key.argmin(0)
        expected = torch.where(inside.any(0), best, torch.tensor(-1))
        assert torch.equal(owner, expected), stride
        assert not (owner == 7).any()
