# Copyright (c) mmped contributors. All rights reserved.
"""BN-Inception (inception_v2) trunk: low convolution layers followed by three inception blocks.

This is the Main Net (M-net) of HydraPlus-Net (Liu et al., ICCV 2017), which builds on the
inception_v2 architecture of Ioffe & Szegedy (2015, Table 1 / the BN-Inception Caffe model):

========  ===============================================================  ==========  =======
part      layers                                                           out chans   stride
========  ===============================================================  ==========  =======
stem      conv 7x7/2 (64), maxpool 3x3/2, conv 1x1 (64), conv 3x3 (192),    192         8
          maxpool 3x3/2
block 1   inception 3a, 3b, 3c (3c reduces with stride 2)                  576         16
block 2   inception 4a, 4b, 4c, 4d, 4e (4e reduces with stride 2)          1056        32
block 3   inception 5a, 5b                                                 1024        32
========  ===============================================================  ==========  =======

The three "inception blocks" of the paper are taken to be the standard inception_3 / _4 / _5
groups of BN-Inception (the paper does not name the layers); a 299 x 299 input gives 19 x 19,
10 x 10 and 10 x 10 block outputs. The stem's max pools use ``ceil_mode=True`` as in the Caffe
model; the max pools of the reduction modules (3c, 4e) use padding 1 like their strided convs, so
their outputs agree at odd sizes (the Caffe pool, without padding, loses a row at 299 x 299).
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from torch.nn.modules.batchnorm import _BatchNorm

from mmped.registry import MODELS

# One inception module: (name, #1x1, #3x3 reduce, #3x3, #double-3x3 reduce, #double-3x3,
# pool type, pool projection (0: pass-through), stride). #1x1 == 0 drops that path.
InceptionSpec = Tuple[str, int, int, int, int, int, str, int, int]

BN_INCEPTION_BLOCKS: List[List[InceptionSpec]] = [
    [('3a', 64, 64, 64, 64, 96, 'avg', 32, 1),
     ('3b', 64, 64, 96, 64, 96, 'avg', 64, 1),
     ('3c', 0, 128, 160, 64, 96, 'max', 0, 2)],
    [('4a', 224, 64, 96, 96, 128, 'avg', 128, 1),
     ('4b', 192, 96, 128, 96, 128, 'avg', 128, 1),
     ('4c', 160, 128, 160, 128, 160, 'avg', 128, 1),
     ('4d', 96, 128, 192, 160, 192, 'avg', 128, 1),
     ('4e', 0, 128, 192, 192, 256, 'max', 0, 2)],
    [('5a', 352, 192, 320, 160, 224, 'avg', 128, 1),
     ('5b', 352, 192, 320, 192, 224, 'max', 128, 1)],
]


def _scale(channels: int, widen_factor: float) -> int:
    """Channel count scaled by ``widen_factor`` (0 stays 0, anything else at least 1)."""
    return 0 if channels == 0 else max(1, int(round(channels * widen_factor)))


class InceptionModule(BaseModule):
    """One BN-Inception module: 1x1, 3x3, double-3x3 and pooling paths, concatenated.

    Args:
        in_channels (int): Input channels.
        c1x1 (int): Channels of the 1x1 path (0: no such path, as in reduction modules).
        c3x3_reduce (int): 1x1 reduction channels before the 3x3 conv.
        c3x3 (int): Output channels of the 3x3 path.
        cdbl_reduce (int): 1x1 reduction channels before the two stacked 3x3 convs.
        cdbl (int): Output channels of the double-3x3 path.
        pool_type (str): ``'avg'`` or ``'max'``.
        pool_proj (int): 1x1 projection after the pool (0: the pooled input passes through).
        stride (int): 1, or 2 for a reduction module (3x3 convs and pool are strided).
        norm_cfg (dict): Normalisation layer config.
        act_cfg (dict): Activation config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 c1x1: int,
                 c3x3_reduce: int,
                 c3x3: int,
                 cdbl_reduce: int,
                 cdbl: int,
                 pool_type: str,
                 pool_proj: int,
                 stride: int = 1,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if pool_type not in ('avg', 'max'):
            raise ValueError(f'pool_type must be "avg" or "max", got {pool_type!r}')
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        if stride == 2 and (c1x1 or pool_proj):
            raise ValueError('a reduction module (stride 2) has no 1x1 path and no pool '
                             'projection')

        def conv(cin: int, cout: int, k: int, s: int = 1) -> ConvModule:
            return ConvModule(cin, cout, k, stride=s, padding=k // 2, norm_cfg=norm_cfg,
                              act_cfg=act_cfg)

        self.branch1x1 = conv(in_channels, c1x1, 1) if c1x1 else None
        self.branch3x3 = nn.Sequential(
            conv(in_channels, c3x3_reduce, 1), conv(c3x3_reduce, c3x3, 3, stride))
        self.branch_dbl = nn.Sequential(
            conv(in_channels, cdbl_reduce, 1), conv(cdbl_reduce, cdbl, 3),
            conv(cdbl, cdbl, 3, stride))
        if pool_type == 'avg':
            pool = nn.AvgPool2d(3, stride=stride, padding=1, ceil_mode=True,
                                count_include_pad=True)
        elif stride == 2:
            # same geometry as the strided 3x3 convs so the paths agree at every input size
            # (Caffe's ceil-mode pool without padding gives one row less at odd sizes)
            pool = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            pool = nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True)
        self.branch_pool = nn.Sequential(pool, conv(in_channels, pool_proj, 1)) \
            if pool_proj else pool
        self.out_channels = c1x1 + c3x3 + cdbl + (pool_proj or in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x (Tensor): (N, C_in, H, W). Returns: Tensor: (N, out_channels, H', W')."""
        outs = [self.branch1x1(x)] if self.branch1x1 is not None else []
        outs += [self.branch3x3(x), self.branch_dbl(x), self.branch_pool(x)]
        return torch.cat(outs, dim=1)


@MODELS.register_module()
class BNInception(BaseModule):
    """BN-Inception (inception_v2) trunk returning the outputs of its three inception blocks.

    Args:
        in_channels (int): Input image channels. Defaults to 3.
        widen_factor (float): Multiplier of every channel count (1.0 is the paper's network;
            tests use small factors). Defaults to 1.0.
        blocks (list[list[tuple]], optional): Inception module specs per block, see
            ``BN_INCEPTION_BLOCKS`` (the default). Each tuple is ``(name, #1x1, #3x3 reduce,
            #3x3, #double-3x3 reduce, #double-3x3, pool type, pool projection, stride)``.
        out_indices (Sequence[int]): Which blocks to return (0-based). Defaults to (0, 1, 2).
        frozen_stages (int): Freeze the stem (0) and blocks ``1..frozen_stages`` (parameters
            without gradient, BN in eval mode); -1 freezes nothing. Defaults to -1.
        norm_eval (bool): Keep every BN layer in eval mode while training. Defaults to False.
        norm_cfg (dict): Normalisation config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Initialisation; ``dict(type='Pretrained',
            checkpoint=PATH)`` loads a local checkpoint. Checkpoints in this module's own key
            layout load as they are, and BN-Inception checkpoints in the Caffe-derived layout
            (``conv1_7x7_s2.weight``, ``inception_3a_1x1_bn.running_mean``...) are converted
            by :func:`convert_caffe_bn_inception` on the fly (full width only).
    """

    def __init__(self,
                 in_channels: int = 3,
                 widen_factor: float = 1.0,
                 blocks: Optional[List[List[InceptionSpec]]] = None,
                 out_indices: Sequence[int] = (0, 1, 2),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 norm_cfg: Dict = dict(type='BN'),
                 act_cfg: Dict = dict(type='ReLU'),
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        blocks = copy.deepcopy(blocks if blocks is not None else BN_INCEPTION_BLOCKS)
        if not blocks:
            raise ValueError('BNInception needs at least one inception block')
        for idx in out_indices:
            if not 0 <= idx < len(blocks):
                raise ValueError(f'out_indices {tuple(out_indices)} out of range for '
                                 f'{len(blocks)} blocks')
        if not -1 <= frozen_stages <= len(blocks):
            raise ValueError(f'frozen_stages must be in [-1, {len(blocks)}], got {frozen_stages}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        c64, c192 = _scale(64, widen_factor), _scale(192, widen_factor)
        self.stem = nn.Sequential(
            ConvModule(in_channels, c64, 7, stride=2, padding=3, norm_cfg=norm_cfg,
                       act_cfg=act_cfg),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            ConvModule(c64, c64, 1, norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(c64, c192, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg),
            nn.MaxPool2d(3, stride=2, ceil_mode=True))
        channels = c192
        self.blocks = nn.ModuleList()
        self.block_channels: List[int] = []
        self.module_names: List[List[str]] = []
        for block_specs in blocks:
            modules = []
            for _name, *widths, pool_type, pool_proj, stride in block_specs:
                widths = [_scale(w, widen_factor) for w in widths]
                module = InceptionModule(channels, *widths, pool_type,
                                         _scale(pool_proj, widen_factor), stride,
                                         norm_cfg=norm_cfg, act_cfg=act_cfg)
                channels = module.out_channels
                modules.append(module)
            self.blocks.append(nn.Sequential(*modules))
            self.block_channels.append(channels)
            self.module_names.append([spec[0] for spec in block_specs])
        self._freeze_stages()

    @property
    def num_blocks(self) -> int:
        """Number of inception blocks."""
        return len(self.blocks)

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        """Low convolution layers. Args: x (Tensor): (N, 3, H, W). Returns: (N, 192w, H/8, W/8)."""
        return self.stem(x)

    def forward_all(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Outputs of every inception block.

        Args:
            x (Tensor): Images (N, C_in, H, W).

        Returns:
            list[Tensor]: ``F^1 .. F^B``, block ``b`` of shape (N, block_channels[b], H_b, W_b).
        """
        x = self.stem(x)
        feats = []
        for block in self.blocks:
            x = block(x)
            feats.append(x)
        return feats

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Args: x (Tensor): (N, C_in, H, W). Returns: tuple[Tensor]: blocks in out_indices."""
        feats = self.forward_all(x)
        return tuple(feats[i] for i in self.out_indices)

    def _freeze_stages(self) -> None:
        parts = [self.stem, *self.blocks][:self.frozen_stages + 1]
        for part in parts:
            part.eval()
            for param in part.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'BNInception':
        """Set train mode, keeping frozen parts (and all BN when ``norm_eval``) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def init_weights(self) -> None:
        """Initialise; a ``Pretrained`` init_cfg with a Caffe-layout checkpoint is converted."""
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            ckpt = _load_checkpoint(cfg['checkpoint'], map_location='cpu')
            state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
            prefix = cfg.get('prefix')
            if prefix:
                prefix = prefix if prefix.endswith('.') else prefix + '.'
                state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
                if not state:
                    raise KeyError(f'no key with prefix {prefix!r} in {cfg["checkpoint"]}')
            if 'conv1_7x7_s2.weight' in state:
                state = convert_caffe_bn_inception(state, self)
            load_state_dict(self, state, strict=False)
            self._is_init = True
            return
        super().init_weights()


def caffe_layer_names(model: BNInception) -> Dict[str, str]:
    """Caffe-layout layer name -> :class:`BNInception` module path of every conv layer.

    The Caffe layout names convs ``conv1_7x7_s2``, ``conv2_3x3_reduce``, ``conv2_3x3`` and
    ``inception_<m>_{1x1,3x3_reduce,3x3,double_3x3_reduce,double_3x3_1,double_3x3_2,pool_proj}``
    (the ImageNet-trained model widely converted to PyTorch); its BN layers add ``_bn``.

    Args:
        model (BNInception): The target model (gives the module names per block).

    Returns:
        dict[str, str]: e.g. ``'inception_3a_1x1' -> 'blocks.0.0.branch1x1'``.
    """
    names = {'conv1_7x7_s2': 'stem.0', 'conv2_3x3_reduce': 'stem.2', 'conv2_3x3': 'stem.3'}
    paths = {'1x1': 'branch1x1', '3x3_reduce': 'branch3x3.0', '3x3': 'branch3x3.1',
             'double_3x3_reduce': 'branch_dbl.0', 'double_3x3_1': 'branch_dbl.1',
             'double_3x3_2': 'branch_dbl.2', 'pool_proj': 'branch_pool.1'}
    for b, block_names in enumerate(model.module_names):
        for m, name in enumerate(block_names):
            for caffe, ours in paths.items():
                names[f'inception_{name}_{caffe}'] = f'blocks.{b}.{m}.{ours}'
    return names


def convert_caffe_bn_inception(state: Dict[str, torch.Tensor],
                               model: BNInception) -> Dict[str, torch.Tensor]:
    """Rename a Caffe-layout BN-Inception state dict to :class:`BNInception`'s keys.

    Layer names follow :func:`caffe_layer_names`; classifier keys (``last_linear``, ``fc``)
    are dropped. The Caffe convs carry a bias; ours do not (BN follows), so each bias is folded
    into its BN's running mean, which gives identical outputs in eval mode.

    Args:
        state (dict[str, Tensor]): The Caffe-layout state dict.
        model (BNInception): The target model.

    Returns:
        dict[str, Tensor]: State dict with this module's keys.
    """
    names = caffe_layer_names(model)
    out = {}
    for key, value in state.items():
        layer, _, param = key.rpartition('.')
        if layer.endswith('_bn') and layer[:-3] in names:
            out[f'{names[layer[:-3]]}.bn.{param}'] = value
        elif layer in names and param == 'weight':
            out[f'{names[layer]}.conv.weight'] = value
    # our convs have no bias (BN follows): BN(conv(x) + b) == BN'(conv(x)) with mean' = mean - b
    for caffe, ours in names.items():
        bias, mean = state.get(f'{caffe}.bias'), out.get(f'{ours}.bn.running_mean')
        if bias is not None and mean is not None:
            out[f'{ours}.bn.running_mean'] = mean - bias
    return out
