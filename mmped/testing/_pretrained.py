# Copyright (c) mmped contributors. All rights reserved.
"""Synthetic stand-ins for the published ImageNet checkpoints mmped configs name.

Each builder returns a state dict with exactly the keys and shapes of the published file
(values are synthetic), so tests can check that a config's backbone takes every weight of the
real file without downloading it. Large tensors are stored as stride-0 expansions of one
random row: :func:`torch.save` then writes only that row, and the file stays small while
``torch.load`` still gives the published shapes.

Layouts:

- ``vgg16_caffe-292e1171.pth`` (``open-mmlab://vgg16_caffe``): the fc-reduced Caffe VGG16
  of SSD in mmdet's ``SSDVGG`` layout: ``features.{0..28}`` conv1_1..conv5_3, ``features.31``
  fc6 (1024 x 512 x 3 x 3, dilated), ``features.33`` fc7 (1024 x 1024 x 1 x 1).
- ``vgg16-397923af.pth`` (``torchvision://vgg16``): ``features.*`` conv layers and the three
  ``classifier`` linears (25088 -> 4096 -> 4096 -> 1000).
- ``resnet50-0676ba61.pth`` / ``resnet101-63fe2227.pth`` (``torchvision://resnet50`` /
  ``resnet101``): torchvision ResNet keys (``conv1``, ``bn1``, ``layerX.Y.{conv,bn}{1,2,3}``,
  ``layerX.0.downsample.{0,1}``, ``fc``), BN without ``num_batches_tracked``.
- ``bn_inception-239d2248.pth`` (Cadene's pretrained-models): Caffe layer names
  (``conv1_7x7_s2``, ``inception_3a_1x1``, ... with biased convs and ``_bn`` layers) and
  ``last_linear`` (1024 -> 1000).
"""
import os
import os.path as osp
from collections import OrderedDict
from functools import partial
from typing import Callable, Dict, Sequence, Tuple

import torch

from mmped.utils.checkpoint import pretrained_url

StateDict = Dict[str, torch.Tensor]

BN_INCEPTION_URL = 'http://data.lip6.fr/cadene/pretrainedmodels/bn_inception-239d2248.pth'

_VGG16_CONVS = ((0, 3, 64), (2, 64, 64), (5, 64, 128), (7, 128, 128), (10, 128, 256),
                (12, 256, 256), (14, 256, 256), (17, 256, 512), (19, 512, 512), (21, 512, 512),
                (24, 512, 512), (26, 512, 512), (28, 512, 512))


def synthetic_tensor(shape: Sequence[int], seed: int) -> torch.Tensor:
    """A float tensor of ``shape`` that is one random row expanded with stride 0.

    Args:
        shape (Sequence[int]): Published shape.
        seed (int): Seed of the row (different keys get different values).

    Returns:
        Tensor: Shape ``shape``; only ``shape[-1]`` values are stored.
    """
    gen = torch.Generator().manual_seed(seed)
    row = torch.rand(shape[-1], generator=gen) + 0.5  # positive: valid BN variances too
    return row.expand(*shape)


def _fill(shapes: Dict[str, Tuple[int, ...]], seed: int) -> StateDict:
    return OrderedDict((k, synthetic_tensor(s, seed * 100003 + i))
                       for i, (k, s) in enumerate(shapes.items()))


def _conv(shapes: dict, name: str, c_in: int, c_out: int, k: int, bias: bool = True) -> None:
    shapes[f'{name}.weight'] = (c_out, c_in, k, k)
    if bias:
        shapes[f'{name}.bias'] = (c_out, )


def _bn(shapes: dict, name: str, channels: int) -> None:
    for param in ('weight', 'bias', 'running_mean', 'running_var'):
        shapes[f'{name}.{param}'] = (channels, )


def vgg16_caffe_state_dict(seed: int = 0) -> StateDict:
    """mmdet's ``vgg16_caffe`` (SSD's fc-reduced VGG16) in the ``SSDVGG`` key layout."""
    shapes: dict = OrderedDict()
    for idx, c_in, c_out in _VGG16_CONVS:
        _conv(shapes, f'features.{idx}', c_in, c_out, 3)
    _conv(shapes, 'features.31', 512, 1024, 3)
    _conv(shapes, 'features.33', 1024, 1024, 1)
    return _fill(shapes, seed)


def torchvision_vgg16_state_dict(seed: int = 0) -> StateDict:
    """torchvision's ``vgg16`` ImageNet state dict layout."""
    shapes: dict = OrderedDict()
    for idx, c_in, c_out in _VGG16_CONVS:
        _conv(shapes, f'features.{idx}', c_in, c_out, 3)
    for idx, c_in, c_out in ((0, 512 * 7 * 7, 4096), (3, 4096, 4096), (6, 4096, 1000)):
        shapes[f'classifier.{idx}.weight'] = (c_out, c_in)
        shapes[f'classifier.{idx}.bias'] = (c_out, )
    return _fill(shapes, seed)


def torchvision_resnet_state_dict(depth: int, seed: int = 0) -> StateDict:
    """torchvision's ImageNet ResNet-50 / -101 (bottleneck) state dict layout.

    Args:
        depth (int): 50 or 101.
        seed (int): Seed of the synthetic values. Defaults to 0.
    """
    blocks = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}[depth]
    shapes: dict = OrderedDict()
    _conv(shapes, 'conv1', 3, 64, 7, bias=False)
    _bn(shapes, 'bn1', 64)
    in_ch = 64
    for stage, num_blocks in enumerate(blocks):
        planes = 64 * 2**stage
        for b in range(num_blocks):
            prefix = f'layer{stage + 1}.{b}'
            _conv(shapes, f'{prefix}.conv1', in_ch, planes, 1, bias=False)
            _bn(shapes, f'{prefix}.bn1', planes)
            _conv(shapes, f'{prefix}.conv2', planes, planes, 3, bias=False)
            _bn(shapes, f'{prefix}.bn2', planes)
            _conv(shapes, f'{prefix}.conv3', planes, planes * 4, 1, bias=False)
            _bn(shapes, f'{prefix}.bn3', planes * 4)
            if b == 0:
                _conv(shapes, f'{prefix}.downsample.0', in_ch, planes * 4, 1, bias=False)
                _bn(shapes, f'{prefix}.downsample.1', planes * 4)
            in_ch = planes * 4
    shapes['fc.weight'] = (1000, 2048)
    shapes['fc.bias'] = (1000, )
    return _fill(shapes, seed)


# Cadene's BN-Inception modules: (name, in, 1x1, 3x3 reduce, 3x3, double reduce, double,
# pool_proj); 0 = no such layer (the stride-2 modules 3c / 4e have no 1x1 and no pool_proj)
_BN_INCEPTION_MODULES = (
    ('3a', 192, 64, 64, 64, 64, 96, 32), ('3b', 256, 64, 64, 96, 64, 96, 64),
    ('3c', 320, 0, 128, 160, 64, 96, 0), ('4a', 576, 224, 64, 96, 96, 128, 128),
    ('4b', 576, 192, 96, 128, 96, 128, 128), ('4c', 576, 160, 128, 160, 128, 160, 128),
    ('4d', 608, 96, 128, 192, 160, 192, 128), ('4e', 608, 0, 128, 192, 192, 256, 0),
    ('5a', 1056, 352, 192, 320, 160, 224, 128), ('5b', 1024, 352, 192, 320, 192, 224, 128))


def cadene_bn_inception_state_dict(seed: int = 0) -> StateDict:
    """Cadene's ``bn_inception-239d2248.pth`` (Caffe-converted BN-Inception) layout."""
    shapes: dict = OrderedDict()

    def conv_bn(name: str, c_in: int, c_out: int, k: int) -> None:
        _conv(shapes, name, c_in, c_out, k)
        _bn(shapes, f'{name}_bn', c_out)

    conv_bn('conv1_7x7_s2', 3, 64, 7)
    conv_bn('conv2_3x3_reduce', 64, 64, 1)
    conv_bn('conv2_3x3', 64, 192, 3)
    for name, c_in, c1, c3r, c3, cdr, cd, cp in _BN_INCEPTION_MODULES:
        pre = f'inception_{name}'
        if c1:
            conv_bn(f'{pre}_1x1', c_in, c1, 1)
        conv_bn(f'{pre}_3x3_reduce', c_in, c3r, 1)
        conv_bn(f'{pre}_3x3', c3r, c3, 3)
        conv_bn(f'{pre}_double_3x3_reduce', c_in, cdr, 1)
        conv_bn(f'{pre}_double_3x3_1', cdr, cd, 3)
        conv_bn(f'{pre}_double_3x3_2', cd, cd, 3)
        if cp:
            conv_bn(f'{pre}_pool_proj', c_in, cp, 1)
    shapes['last_linear.weight'] = (1000, 1024)
    shapes['last_linear.bias'] = (1000, )
    return _fill(shapes, seed)


PUBLISHED_LAYOUTS: Dict[str, Callable[[int], StateDict]] = {
    pretrained_url('open-mmlab://vgg16_caffe'): vgg16_caffe_state_dict,
    pretrained_url('torchvision://vgg16'): torchvision_vgg16_state_dict,
    pretrained_url('torchvision://resnet50'): partial(torchvision_resnet_state_dict, 50),
    pretrained_url('torchvision://resnet101'): partial(torchvision_resnet_state_dict, 101),
    BN_INCEPTION_URL: cadene_bn_inception_state_dict,
}


def published_state_dict(name: str, seed: int = 0) -> StateDict:
    """The synthetic state dict in the layout of the file behind ``name``.

    Args:
        name (str): ``torchvision://`` / ``open-mmlab://`` name or URL of
            :data:`PUBLISHED_LAYOUTS`.
        seed (int): Seed of the synthetic values (two seeds give two different files of the
            same layout). Defaults to 0.

    Returns:
        dict[str, Tensor]: Published keys and shapes, synthetic values.
    """
    url = pretrained_url(name)
    if url not in PUBLISHED_LAYOUTS:
        raise KeyError(f'no synthetic layout for {url}; known: {sorted(PUBLISHED_LAYOUTS)}')
    return PUBLISHED_LAYOUTS[url](seed)


def write_published_checkpoint(name: str, folder: str, seed: int = 0) -> str:
    """Save :func:`published_state_dict` under the file's published name in ``folder``.

    With ``MMPED_CHECKPOINTS=folder`` (or ``folder`` = torch's hub cache), loading ``name``
    through mmengine finds this file and never downloads.

    Args:
        name (str): Name or URL, as for :func:`published_state_dict`.
        folder (str): Target folder (created if needed).
        seed (int): Seed of the synthetic values. Defaults to 0.

    Returns:
        str: Path of the written file.
    """
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, osp.basename(pretrained_url(name)))
    torch.save(published_state_dict(name, seed), path)
    return path
