# Copyright (c) mmped contributors. All rights reserved.
"""Layer dissection (GDFL eq. 6) on hand-checked activations and a tiny random GDFL."""
import importlib.util
import json

import pytest
import torch

from mmped.testing import REPO_ROOT
from mmped.utils.layer_dissection import box_cell_mask, dissect_channels


def _tool():
    path = REPO_ROOT / 'tools' / 'analysis' / 'layer_dissection.py'
    spec = importlib.util.spec_from_file_location('layer_dissection_tool', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_box_cell_mask_cell_centres():
    # stride 4: cell centres at 2, 6, 10, 14; box x in [5, 11), y in [0, 7)
    mask = box_cell_mask(torch.tensor([[5., 0., 11., 7.]]), (3, 4), 4.)
    expected = torch.tensor([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)
    assert torch.equal(mask, expected)
    assert not box_cell_mask(torch.zeros(0, 4), (2, 2), 8.).any()


def test_dissect_channels_hand_checked():
    """100 positions, top 5 % = 5 positions; the mask covers positions 0-4."""
    num = 100
    mask = torch.zeros(num, dtype=torch.bool)
    mask[:5] = True
    feats = torch.zeros(4, num)
    feats[0, :5] = torch.arange(5.) + 1  # top 5 exactly on the mask: IoU 1
    feats[1, 50:55] = 1.  # top 5 off the mask: IoU 0
    feats[2, [0, 1, 2, 60, 61]] = 2.  # 3 of 5 on the mask: 3 / 7
    feats[3, 5:9] = 3.  # 4 values above the rest, 5th largest 0: all >= 0 -> IoU 5 / 100
    res = dissect_channels(feats, mask, top=0.05, iou_thr=0.04)
    torch.testing.assert_close(res['iou'], torch.tensor([1., 0., 3. / 7., 0.05]))
    torch.testing.assert_close(res['threshold'], torch.tensor([1., 1., 2., 0.]))
    assert res['pedestrian'].tolist() == [True, False, True, True]
    assert res['share'] == 0.75
    # the IoU threshold is strict: at iou_thr == IoU the channel does not count
    assert dissect_channels(feats, mask, iou_thr=0.05)['pedestrian'].tolist() == [
        True, False, True, False]
    with pytest.raises(ValueError, match='feats'):
        dissect_channels(feats, mask[:10])


def test_tool_on_a_tiny_random_gdfl(tmp_path):
    """The tool's dissect + plot on a reduced-width GDFL and two synthetic images."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from mmped.registry import MODELS

    from .gdfl_testutils import tiny_model_cfg
    tool = _tool()
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg('gdfl')).eval()
    batch_samples = []
    shape = (64, 128)
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                                        batch_input_shape=shape, scale_factor=(1., 1.)))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[8., 4., 40., 60.]]),
                                      labels=torch.zeros(1, dtype=torch.long))
        batch_samples.append(s)
    loader = [dict(inputs=[torch.randint(0, 255, (3, 64, 128), dtype=torch.uint8)
                           for _ in range(2)], data_samples=batch_samples)]
    result = tool.dissect(model, loader, num_images=2)
    assert result['num_images'] == 2
    assert list(result['layers']) == ['conv3_3', 'conv4_3', 'conv5_3', 'conv6_2', 'conv7_2']
    conv4 = result['layers']['conv4_3']
    assert conv4['channels'] == 64 and len(conv4['iou']) == 64
    # the box covers x 8-40, y 4-60 of a 64 x 128 image: stride-8 cell centres 12..36 (4 of 16
    # columns) x 4..60 (7 of 8 rows) -> 28 of 128 cells per image
    assert conv4['mask_fraction'] == pytest.approx(28 / 128)
    assert conv4['pedestrian_channels'] == sum(v > 0.04 for v in conv4['iou'])
    m = 28 / 128
    assert conv4['chance_iou'] == pytest.approx(0.05 * m / (0.05 + m - 0.05 * m))
    tool.plot(result, str(tmp_path / 'd.png'))
    assert (tmp_path / 'd.png').stat().st_size > 1000
    json.dumps(result)
