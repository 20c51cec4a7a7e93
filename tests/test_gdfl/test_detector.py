# Copyright (c) mmped contributors. All rights reserved.
"""GDFLHead losses, the GDFL detector end to end, and overfitting a 2-image batch."""
import copy

import pytest
import torch
from mmengine.config import Config

from mmped.models import GDFL, GDFLHead
from mmped.registry import MODELS

from .gdfl_testutils import TINY_CHANNELS, make_samples, tiny_model_cfg

BOXES = [[[20., 10., 45., 70.], [150., 4., 205., 124.]], [[60., 30., 80., 80.]]]


def _batch(shape=(128, 256)):
    torch.manual_seed(0)
    return torch.rand(2, 3, *shape) * 255, make_samples(BOXES, shape,
                                                       ignore=[[[100., 0., 120., 30.]], []])


@pytest.mark.parametrize('kind', ['gdfl', 'ca', 'ssd'])
def test_gdfl_detector_loss_and_predict(kind):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg(kind))
    assert isinstance(model, GDFL) and isinstance(model.bbox_head, GDFLHead)
    inputs, samples = _batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == ({'loss_cls', 'loss_bbox', 'loss_mask'} if kind != 'ssd' else
                           {'loss_cls', 'loss_bbox'})
    assert all(torch.isfinite(torch.stack(v) if isinstance(v, list) else v).all()
               for v in losses.values())
    model.eval()
    with torch.no_grad():
        preds = model.predict(inputs, copy.deepcopy(samples))
    assert len(preds) == 2
    inst = preds[0].pred_instances
    assert inst.bboxes.shape[1] == 4 and (inst.labels == 0).all()
    assert (inst.scores[:-1] >= inst.scores[1:]).all()


def test_head_loc_weight_and_mask_loss():
    torch.manual_seed(0)
    head_cfg = dict(type='GDFLHead', in_channels=list(TINY_CHANNELS[1:]),
                    train_cfg=Config(tiny_model_cfg('ssd')).train_cfg)
    head = MODELS.build(head_cfg)
    head2 = MODELS.build(dict(head_cfg, loc_weight=1.0))
    head2.load_state_dict(head.state_dict())
    feats = tuple(torch.rand(2, c, 128 // s, 256 // s)
                  for c, s in zip(TINY_CHANNELS[1:], (8, 16, 32, 64)))
    _, samples = _batch()
    l2, l1 = head.loss(feats, samples), head2.loss(feats, samples)
    torch.testing.assert_close(sum(l2['loss_bbox']), 2 * sum(l1['loss_bbox']))
    torch.testing.assert_close(sum(l2['loss_cls']), sum(l1['loss_cls']))
    assert sum(l2['loss_bbox']) > 0
    # mask loss: a perfect prediction of the targets costs (almost) nothing
    labels, heights, valid = head.mask_targets((128, 256), [s.gt_instances for s in samples],
                                               [s.metainfo for s in samples],
                                               [s.ignored_instances for s in samples])
    assert labels.shape == (2, 1, 128, 256)
    assert not valid[0, 0, 5, 110] and valid[0, 0, 5, 30]
    perfect = torch.nn.functional.one_hot(labels[:, 0], 3).permute(0, 3, 1, 2).float() * 50
    loss = head.loss(feats, samples, mask_logits=perfect)['loss_mask']
    assert loss.item() < 1e-6
    worse = head.loss(feats, samples, mask_logits=torch.zeros_like(perfect))['loss_mask']
    assert worse.item() > 1.0
    with pytest.raises(ValueError, match='channels'):
        head.loss(feats, samples, mask_logits=perfect[:, :2])
    with pytest.raises(ValueError, match='mask logit maps'):
        head.loss(feats, samples, mask_logits=[perfect, perfect])


def test_gdfl_overfits_two_images():
    """Loss on a fixed 2-image batch falls by more than 80% (learning, not a frozen net)."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg('gdfl'))
    model.init_weights()
    inputs, samples = _batch((64, 128))
    for s, boxes in zip(samples, ([[8., 4., 24., 44.], [70., 6., 92., 60.]],
                                  [[30., 10., 46., 50.]])):
        s.gt_instances.bboxes = torch.tensor(boxes)
        s.gt_instances.labels = torch.zeros(len(boxes), dtype=torch.long)
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), True)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = []
    for _ in range(60):
        losses = model.loss(data['inputs'], data['data_samples'])
        total, _ = model.parse_losses(losses)
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append(total.item())
    first, last = history[0], min(history[-5:])
    assert last < 0.2 * first, (first, last)
