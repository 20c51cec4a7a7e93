# Copyright (c) mmped contributors. All rights reserved.
"""Re-ID head of the person-search models: conv5 + GAP -> L2-normalised feature, OIM loss."""
from typing import Optional

import torch.nn.functional as F
from mmdet.models.backbones.resnet import Bottleneck
from mmdet.models.layers import ResLayer
from mmengine.model import BaseModule
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class PersonSearchReIDHead(BaseModule):
    """conv5 of ResNet-50 (3 bottlenecks, first with stride 2) on RoI features, global average
    pooling, L2 normalisation; trained with :class:`mmped.models.losses.OIMLoss`.

    Args:
        in_channels (int): RoI feature channels (conv4: 1024).
        planes (int): Bottleneck width (ResNet-50 conv5: 512; output = 4 x planes = 2048).
        num_blocks (int): Blocks of conv5. Defaults to 3.
        stride (int): Stride of the first block. Defaults to 2.
        norm_cfg (dict): Normalisation. Defaults to BN.
        loss_reid (dict): The OIM loss config; its ``num_features`` must equal 4 x planes.
        conv5_init_cfg (dict, optional): Initialisation of conv5 alone, e.g.
            ``dict(type='Pretrained', checkpoint='resnet50.pth', prefix='layer4.')``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 1024,
                 planes: int = 512,
                 num_blocks: int = 3,
                 stride: int = 2,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 loss_reid: dict = dict(type='mmped.OIMLoss', num_features=2048, loss_weight=0.5),
                 conv5_init_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.conv5 = ResLayer(Bottleneck, inplanes=in_channels, planes=planes,
                              num_blocks=num_blocks, stride=stride, norm_cfg=norm_cfg)
        self.conv5.init_cfg = conv5_init_cfg
        self.out_channels = planes * Bottleneck.expansion
        self.loss_reid = MODELS.build(loss_reid)
        if getattr(self.loss_reid, 'num_features', self.out_channels) != self.out_channels:
            raise ValueError(f'loss_reid.num_features={self.loss_reid.num_features} but the '
                             f'head outputs {self.out_channels}-d features')

    def forward(self, x: Tensor) -> Tensor:
        """RoI features (N, C, h, w) -> L2-normalised embeddings (N, 4 * planes)."""
        return F.normalize(self.embed(x), dim=1)

    def embed(self, x: Tensor) -> Tensor:
        """Un-normalised embeddings (N, 4 * planes) (conv5 + GAP)."""
        return self.conv5(x).mean(dim=(2, 3))

    def loss(self, x: Tensor, person_ids: Tensor) -> dict:
        """OIM loss of RoI features (N, C, h, w) with identities (N, ) (-1 = unlabelled)."""
        return dict(loss_oim=self.loss_reid(self.embed(x), person_ids))
