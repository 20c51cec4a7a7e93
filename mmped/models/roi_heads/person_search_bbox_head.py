# Copyright (c) mmped contributors. All rights reserved.
"""Detection head of the task-joint person-search baseline (BUFF sec. 4.1)."""
import math
from typing import Optional, Sequence, Tuple

from mmcv.cnn import ConvModule
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from torch import Tensor, nn

from mmped.registry import MODELS


@MODELS.register_module()
class PersonSearchBBoxHead(BBoxHead):
    """RCNN head: a stride-2 3 x 3 convolution (C x 14 x 7 -> 256 x 7 x 4), a 256-d FC layer,
    a softmax person / background classifier and a box regressor.

    Args:
        in_channels (int): Channels of the RoI features (ResNet-50 conv4: 1024).
        roi_feat_size (Sequence[int]): RoI feature size ``(h, w)``. Defaults to (14, 7).
        conv_out_channels (int): Channels of the convolution. Defaults to 256.
        fc_out_channels (int): Width of the FC layer. Defaults to 256.
        conv_stride (int): Stride of the convolution. Defaults to 2.
        norm_cfg (dict, optional): Normalisation after the convolution (the paper does not
            say; default None = conv + ReLU).
        **kwargs: :class:`mmdet.models.roi_heads.bbox_heads.BBoxHead` arguments (``num_classes``,
            ``bbox_coder``, ``loss_cls``, ``loss_bbox``, ``reg_class_agnostic``...).
    """

    def __init__(self,
                 in_channels: int = 1024,
                 roi_feat_size: Sequence[int] = (14, 7),
                 conv_out_channels: int = 256,
                 fc_out_channels: int = 256,
                 conv_stride: int = 2,
                 norm_cfg: Optional[dict] = None,
                 init_cfg=None,
                 **kwargs) -> None:
        init_cfg = init_cfg or [
            dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
            dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
            dict(type='Xavier', distribution='uniform', override=dict(name='fc_det'))
        ]
        # the classifier / regressor see the fc_out_channels-d vector (area 1)
        super().__init__(with_avg_pool=False, roi_feat_size=1, in_channels=fc_out_channels,
                         init_cfg=init_cfg, **kwargs)
        h, w = roi_feat_size
        self.det_conv = ConvModule(in_channels, conv_out_channels, 3, stride=conv_stride,
                                   padding=1, norm_cfg=norm_cfg)
        out_h, out_w = math.ceil(h / conv_stride), math.ceil(w / conv_stride)
        self.fc_det = nn.Linear(conv_out_channels * out_h * out_w, fc_out_channels)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Classify and regress RoIs.

        Args:
            x (Tensor): RoI features (N, C, 14, 7).

        Returns:
            tuple[Tensor, Tensor]: Class scores (N, num_classes + 1) and box deltas (N, 4) or
            (N, 4 * num_classes).
        """
        x = self.det_conv(x).flatten(1)
        x = self.relu(self.fc_det(x))
        cls_score = self.fc_cls(x) if self.with_cls else None
        bbox_pred = self.fc_reg(x) if self.with_reg else None
        return cls_score, bbox_pred
