# Copyright (c) mmped contributors. All rights reserved.
import inspect
from typing import List, Optional, Tuple, Union

from mmdet.models.detectors import SingleStageDetector
from mmdet.structures import SampleList
from torch import Tensor

from mmped.registry import MODELS


@MODELS.register_module()
class GDFL(SingleStageDetector):
    """GDFL / CA-GDFL: a single-stage detector whose neck also returns mask logits.

    The neck (:class:`GraininessAttention` or :class:`ChannelAdaptiveAttention`) is called
    with ``return_masks=True`` during training and its attention / segmentation logits are
    passed to the head's mask loss (``loss_mask``); at inference the neck runs without them
    (CA-GDFL skips its segmentation branches). A neck without a ``return_masks`` argument (any
    mmdet neck) or no neck at all gives a plain SSD-style detector, as in the baselines.

    Args:
        backbone (dict): Backbone config (e.g. :class:`VGG16Det`).
        neck (dict, optional): Neck config.
        bbox_head (dict): Head config (:class:`GDFLHead`).
        train_cfg (dict, optional): Head training config.
        test_cfg (dict, optional): Head test config.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # checked once: whether the neck can return mask logits (GDFL / CA-GDFL necks)
        self._neck_returns_masks = self.with_neck and \
            'return_masks' in inspect.signature(self.neck.forward).parameters

    def extract_feat_and_masks(
            self, batch_inputs: Tensor
    ) -> Tuple[Tuple[Tensor, ...], Optional[Union[Tensor, List[Tensor]]]]:
        """Backbone + neck, with the neck's mask logits.

        Args:
            batch_inputs (Tensor): Images (N, 3, H, W).

        Returns:
            tuple: Detection features (level l: (N, C_l, H_l, W_l)) and the mask logits (see the
            neck; None when the neck gives none).
        """
        x = self.backbone(batch_inputs)
        if not self.with_neck:
            return tuple(x), None
        if self._neck_returns_masks:
            feats, masks = self.neck(x, return_masks=True)
            return tuple(feats), masks
        return tuple(self.neck(x)), None

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Detection and mask losses.

        Args:
            batch_inputs (Tensor): Images (N, 3, H, W).
            batch_data_samples (list[DetDataSample]): Samples with ground truth.

        Returns:
            dict: Loss components.
        """
        feats, masks = self.extract_feat_and_masks(batch_inputs)
        return self.bbox_head.loss(feats, batch_data_samples, mask_logits=masks)
