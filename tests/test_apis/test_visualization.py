# Copyright (c) mmped contributors. All rights reserved.
"""Heat-map overlays, RGB-T panels and pedestrian drawings on hand-made inputs."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmped.visualization import (
    normalize_maps,
    overlay_heatmaps,
    overlay_map_groups,
    pair_side_by_side,
    tile_images,
)


def test_normalize_maps_min_max_and_probabilities():
    m = torch.tensor([[[2.0, 4.0], [6.0, 10.0]], [[3.0, 3.0], [3.0, 3.0]]])
    out = normalize_maps(m)
    np.testing.assert_allclose(out[0], [[0.0, 0.25], [0.5, 1.0]])
    np.testing.assert_array_equal(out[1], 0.0)  # a constant map carries no location
    np.testing.assert_allclose(normalize_maps(np.array([[0.2, 1.5]]), already_prob=True),
                               [[[0.2, 1.0]]])


def test_overlay_blends_jet_colours_exactly():
    img = np.full((2, 2, 3), 100, np.uint8)
    out = overlay_heatmaps(img, np.array([[0.0, 1.0], [0.0, 1.0]]), alpha=0.5,
                           already_prob=True)
    assert out.shape == (1, 2, 2, 3)
    # JET: 0 -> dark blue (0, 0, 128) RGB, 1 -> dark red (128, 0, 0)
    np.testing.assert_array_equal(out[0, 0, 0], [50, 50, 114])
    np.testing.assert_array_equal(out[0, 0, 1], [114, 50, 50])
    with pytest.raises(ValueError, match='2 titles for 1 maps'):
        overlay_heatmaps(img, np.zeros((2, 2)), titles=['a', 'b'])


def test_groups_tiles_and_pairs():
    img = np.zeros((8, 6, 3), np.uint8)
    grid = overlay_map_groups(img, {'a': torch.rand(1, 3, 2, 2)[0], 'b': torch.rand(1, 4, 4)},
                              max_maps=8)
    # rows: a (image + 3 maps), b (image + 1 map, padded); cells 8 x 6 plus 2-pixel gaps
    assert grid.shape == (2 * 10, 4 * 8, 3)
    assert tile_images([img, img, img], ncols=2).shape == (20, 16, 3)
    stacked = np.concatenate([np.full((4, 5, 3), 1, np.uint8), np.full((4, 5, 1), 7, np.uint8)],
                             axis=2)
    pair = pair_side_by_side(stacked, (3, 1))
    assert pair.shape == (4, 10, 3) and (pair[:, :5] == 1).all() and (pair[:, 5:] == 7).all()
    with pytest.raises(ValueError, match='4 channels'):
        pair_side_by_side(stacked, (3, 3))


def _sample():
    s = DetDataSample(metainfo=dict(img_shape=(60, 80), ori_shape=(60, 80)))
    s.gt_instances = InstanceData(bboxes=torch.tensor([[10., 10., 30., 50.]]),
                                  labels=torch.zeros(1, dtype=torch.long))
    s.ignored_instances = InstanceData(bboxes=torch.tensor([[50., 5., 75., 40.]]),
                                       labels=torch.zeros(1, dtype=torch.long))
    s.pred_instances = InstanceData(bboxes=torch.tensor([[12., 12., 28., 48.],
                                                         [40., 40., 60., 58.]]),
                                    scores=torch.tensor([0.9, 0.2]),
                                    labels=torch.zeros(2, dtype=torch.long))
    return s


def test_visualizer_draws_gt_ignore_and_thresholded_predictions(tmp_path):
    from mmped.registry import VISUALIZERS
    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    vis = VISUALIZERS.build(dict(type='mmped.PedLocalVisualizer', name='vis_unit',
                                 line_width=1))
    img = np.zeros((60, 80, 3), np.uint8)
    drawn = vis.compose(img, _sample(), pred_score_thr=0.5)
    assert drawn.shape == (60, 80, 3)

    def colour_near(x, y):
        patch = drawn[max(0, y - 1):y + 2, max(0, x - 1):x + 2].reshape(-1, 3).astype(int)
        return patch[np.argmax(patch.sum(1))]
    assert colour_near(20, 50)[1] > 150 and colour_near(20, 50)[0] < 100  # gt: green
    grey = colour_near(62, 40)
    assert abs(int(grey[0]) - int(grey[1])) < 30 and grey[0] > 80  # ignore: grey
    assert colour_near(20, 12)[0] > 150  # kept prediction (0.9): red
    assert drawn[50:57, 45:55].max() == 0  # the 0.2 prediction is not drawn
    # RGB-T: a 6-channel image gives two panels with the boxes on both
    pair = vis.compose(np.zeros((60, 80, 6), np.uint8), _sample(), draw_gt=True,
                       pred_score_thr=0.5)
    assert pair.shape == (60, 160, 3)
    np.testing.assert_array_equal(pair[:, :80], pair[:, 80:])
    out = tmp_path / 'v.png'
    vis.add_datasample('s', img, _sample(), out_file=str(out))
    assert out.is_file()
    heat = vis.add_heatmaps('h', img, {'m': torch.rand(2, 3, 4)}, out_file=str(tmp_path / 'h.png'),
                            to_backends=False)
    assert heat.shape == (62, 3 * 82, 3) and (tmp_path / 'h.png').is_file()
