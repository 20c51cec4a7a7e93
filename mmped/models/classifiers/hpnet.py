# Copyright (c) mmped contributors. All rights reserved.
"""HydraPlus-Net (Liu et al., ICCV 2017): M-net + AF-net, GAP + FC, stage-wise training."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.models.classifiers.base import BaseClassifier
from mmpretrain.structures import DataSample

from mmped.models.layers.multi_directional_attention import MDABranch
from mmped.registry import MODELS

#: the complete AF-net of the paper: MDA modules F(alpha^1..3), each attending blocks 1..3
FULL_AF_NET: Tuple[Dict, ...] = tuple(
    dict(att_level=i, target_levels=(0, 1, 2)) for i in range(3))


@MODELS.register_module()
class HPNet(ImageClassifier):
    """HydraPlus-Net: Main Net (M-net) and Attentive Feature Net (AF-net), GAP + FC.

    The M-net is a trunk returning its inception block outputs (``BNInception``). The AF-net
    has one :class:`MDABranch` per entry of ``branches``; branch outputs and the M-net's last
    block output are globally average pooled and concatenated into the input of the final
    head (for a linear head, GAP of the concatenation == concatenation of the GAPs).

    Stage-wise training (Sec. 3.2) is selected with ``stage``:

    - ``1``: train the M-net with its own GAP + FC head (``mnet_head``).
    - ``2``: M-net frozen (eval mode); every branch listed in ``train_branches`` is fine-tuned
      (its attention conv and its copies of the blocks after the attended blocks) with its own
      GAP + FC head (``branch_heads``). The branches share no trainable parameter, so summing
      their losses fine-tunes them separately, as in the paper. Initialise the copies from the
      stage-1 M-net with ``tools/model_converters/hpnet_stage_init.py`` (or
      :meth:`init_af_net_from_mnet`).
    - ``3``: M-net and AF-net frozen; only the final head on the concatenation is trained.
    - ``0``: everything trained end to end with the final head (not in the paper).

    Parts not trained in a stage have ``requires_grad=False`` and stay in eval mode, so neither
    their parameters nor their BN statistics change. The module tree is the same in every stage
    (one checkpoint layout); ``in_channels`` of the heads is filled in by the model.

    Args:
        backbone (dict): M-net config; must provide ``forward_all`` (all block outputs),
            ``blocks`` (ModuleList) and ``block_channels``, e.g. ``dict(type='mmped.BNInception')``.
        head (dict): Head config used for the final head, the M-net head and the branch heads
            (e.g. ``MultiLabelAttrHead`` or ``HPNetReIDHead``), without ``in_channels``.
        neck (dict): Pooling applied to each feature part. Defaults to
            ``dict(type='mmpretrain.GlobalAveragePooling')``.
        branches (Sequence[dict]): AF-net branches, each ``dict(att_level=i,
            target_levels=(k, ...))`` with 0-based block indices. Defaults to the paper's
            complete AF-net (three MDA modules, each applied to blocks 1..3); Fig. 6 ablations
            change this list (see ``configs/hpnet``).
        num_att_channels (int): Attention channels L. Defaults to 8.
        attention_cfg (dict, optional): Extra arguments of ``MultiDirectionalAttention``
            (``norm_cfg``, ``act_cfg``, ``resize_mode``).
        af_layout (str): ``'paper'`` (default; the paper's text: "the M-net is duplicated
            three times", i.e. one copy of the later blocks per MDA module shared by its
            channels, and GAP + FC on the raw concatenated features) or ``'authors'`` (the
            authors' released model definitions: an unshared copy per attention channel
            and level, each of the 9 sub-branches and the M-net ending with GAP -> FC 512
            -> BN -> ReLU -> dropout, the final FC on the 10 x 512 vectors). In the authors'
            layout the M-net embedding is trained in stage 1 and frozen afterwards.
        embed_channels (int): Embedding width of the authors' layout. Defaults to 512.
        with_cp (bool): Activation checkpointing of the AF-net block copies while training
            (stage 2 / 0): less memory for one extra forward pass of those blocks.
            Defaults to False.
        stage (int): Training stage, 0-3 (see above). Defaults to 3.
        train_branches (Sequence[int], optional): Branches fine-tuned in stage 2 (default all).
        predict_branch (int, optional): Branch whose head gives the predictions in stage 2
            (validation while fine-tuning). Defaults to None: the last of ``train_branches``,
            so that validation follows a branch being trained (a branch that stage 2 does not
            train keeps the untrained head it was initialised with).
        data_preprocessor (dict, optional): Defaults to ``mmpretrain.ClsDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Dict,
                 head: Dict,
                 neck: Optional[Dict] = dict(type='mmpretrain.GlobalAveragePooling'),
                 branches: Sequence[Dict] = FULL_AF_NET,
                 num_att_channels: int = 8,
                 attention_cfg: Optional[Dict] = None,
                 af_layout: str = 'paper',
                 embed_channels: int = 512,
                 with_cp: bool = False,
                 stage: int = 3,
                 train_branches: Optional[Sequence[int]] = None,
                 predict_branch: Optional[int] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        if isinstance(data_preprocessor, dict) or data_preprocessor is None:
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        BaseClassifier.__init__(self, init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self.backbone = MODELS.build(backbone)
        for attr in ('forward_all', 'blocks', 'block_channels'):
            if not hasattr(self.backbone, attr):
                raise TypeError(f'HPNet backbone {type(self.backbone).__name__} lacks '
                                f'`{attr}` (use e.g. BNInception)')
        self.neck = MODELS.build(neck) if neck is not None else None
        blocks, channels = self.backbone.blocks, self.backbone.block_channels
        if af_layout not in ('paper', 'authors'):
            raise ValueError(f"af_layout must be 'paper' or 'authors', got {af_layout!r}")
        self.af_layout = af_layout
        authors = af_layout == 'authors'
        layout = dict(share_blocks=not authors, embed_channels=embed_channels if authors else None)
        self.af_net = ModuleList([
            MDABranch(blocks, channels, num_channels=num_att_channels,
                      attention_cfg=attention_cfg, with_cp=with_cp, **layout, **branch)
            for branch in branches])
        # authors' layout: the M-net's pooled feature -> FC 512 -> BN -> ReLU -> dropout
        self.mnet_embed = nn.Sequential(
            nn.Linear(channels[-1], embed_channels), nn.BatchNorm1d(embed_channels),
            nn.ReLU(inplace=True), nn.Dropout(0.5)) if authors else nn.Identity()
        mnet_channels = embed_channels if authors else channels[-1]

        def build_head(in_channels: int) -> nn.Module:
            cfg = copy.deepcopy(head)
            cfg['in_channels'] = in_channels
            return MODELS.build(cfg)

        self.mnet_head = build_head(mnet_channels)
        self.branch_heads = ModuleList([build_head(b.out_channels) for b in self.af_net])
        self.head = build_head(mnet_channels + sum(b.out_channels for b in self.af_net))

        num = len(self.af_net)
        self.train_branches = tuple(range(num)) if train_branches is None else tuple(
            sorted(set(train_branches)))
        checked = self.train_branches + (() if predict_branch is None else (predict_branch, ))
        if not all(-num <= b < num for b in checked) and num:
            raise ValueError(f'train_branches {self.train_branches} / predict_branch '
                             f'{predict_branch} out of range for {num} branches')
        self.train_branches = tuple(sorted(b % num for b in self.train_branches)) if num else ()
        if predict_branch is None:
            predict_branch = self.train_branches[-1] if self.train_branches else 0
        self.predict_branch = predict_branch % num if num else 0
        # parameters frozen by the components themselves (e.g. backbone frozen_stages)
        self._own_frozen = {n for n, p in self.named_parameters() if not p.requires_grad}
        self.set_stage(stage)

    # ------------------------------------------------------------------ stages
    def trainable_modules(self) -> List[nn.Module]:
        """Modules trained in the current stage."""
        if self.stage == 1:
            return [self.backbone, self.mnet_embed, self.mnet_head]
        if self.stage == 2:
            return [m for b in self.train_branches
                    for m in (self.af_net[b], self.branch_heads[b])]
        if self.stage == 3:
            return [self.head]
        return [self.backbone, self.mnet_embed, self.af_net, self.head]

    def set_stage(self, stage: int) -> None:
        """Switch the training stage: set ``requires_grad`` and eval modes accordingly.

        Args:
            stage (int): 0 (end to end), 1 (M-net), 2 (MDA branches) or 3 (final GAP + FC).
        """
        if stage not in (0, 1, 2, 3):
            raise ValueError(f'stage must be 0, 1, 2 or 3, got {stage!r}')
        if stage == 2 and not len(self.af_net):
            raise ValueError('stage 2 fine-tunes AF-net branches, but `branches` is empty')
        self.stage = stage
        trainable = {id(p) for m in self.trainable_modules() for p in m.parameters()}
        for name, param in self.named_parameters():
            param.requires_grad = id(param) in trainable and name not in self._own_frozen
        self.train(self.training)

    def _set_frozen_eval(self) -> None:
        trainable = self.trainable_modules()
        for child in (self.backbone, self.mnet_embed, self.af_net, self.mnet_head,
                      self.branch_heads, self.head):
            if not any(child is m or _contains(child, m) for m in trainable):
                child.eval()
        if self.stage == 2:
            for b, (branch, head) in enumerate(zip(self.af_net, self.branch_heads)):
                if b not in self.train_branches:
                    branch.eval()
                    head.eval()

    def train(self, mode: bool = True) -> 'HPNet':
        """Set train mode; the parts frozen by the current stage stay in eval mode."""
        super().train(mode)
        if mode and hasattr(self, 'stage'):
            self._set_frozen_eval()
        return self

    def init_weights(self) -> None:
        """Initialise (e.g. the M-net from ImageNet), then copy the M-net into the AF-net.

        Every AF-net branch starts as the M-net, as in the paper; in stages 2 / 3 the
        checkpoint given by ``load_from`` (loaded after this) overrides it. When the whole
        HP-net comes from a ``Pretrained`` init_cfg, its AF-net is kept as loaded.
        """
        super().init_weights()
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        if not any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in cfgs):
            self.init_af_net_from_mnet()

    @torch.no_grad()
    def init_af_net_from_mnet(self) -> None:
        """Copy the M-net blocks into every AF-net branch (stage-2 initialisation)."""
        for branch in self.af_net:
            branch.init_from_trunk(self.backbone.blocks)

    # --------------------------------------------------------------- features
    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return self.neck(x) if self.neck is not None else x.mean(dim=(2, 3))

    def _mnet_feats(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        if self.stage in (2, 3):  # frozen M-net: no graph needed
            with torch.no_grad():
                return self.backbone.forward_all(inputs)
        return self.backbone.forward_all(inputs)

    def extract_branch_feats(self, inputs: torch.Tensor,
                             branches: Optional[Sequence[int]] = None
                             ) -> Tuple[List[torch.Tensor], List[torch.Tensor],
                                        List[torch.Tensor]]:
        """M-net block outputs, and pooled features and attention maps of AF-net branches.

        Args:
            inputs (Tensor): Images (N, 3, H, W).
            branches (Sequence[int], optional): Branch indices (default all).

        Returns:
            tuple[list[Tensor], list[Tensor], list[Tensor]]: M-net block outputs
            ``F^b`` (N, C_b, H_b, W_b); per branch its pooled feature (N, out_channels) and
            its attention map (N, L, H_i, W_i).
        """
        feats = self._mnet_feats(inputs)
        branches = range(len(self.af_net)) if branches is None else branches
        pooled, alphas = [], []
        for b in branches:
            out, alpha = self.af_net[b](feats)
            pooled.append(self._pool(out))
            alphas.append(alpha)
        return feats, pooled, alphas

    def extract_feat(self, inputs: torch.Tensor, stage: str = 'neck') -> Tuple[torch.Tensor]:
        """Pooled input of the head that predicts in the current training stage.

        Args:
            inputs (Tensor): Images (N, 3, H, W).
            stage (str): ``'neck'`` (pooled features) or ``'pre_logits'`` (the head's
                ``pre_logits``, e.g. the re-ID feature before normalisation).

        Returns:
            tuple[Tensor]: One tensor (N, C): the M-net GAP feature in stage 1, the predicting
            branch's in stage 2, the concatenation ``[M-net, branch 1, ..]`` in stages 0 / 3.
        """
        if stage not in ('neck', 'pre_logits'):
            raise ValueError(f'stage must be "neck" or "pre_logits", got {stage!r}')
        if self.stage == 1:
            x = self.mnet_embed(self._pool(self.backbone.forward_all(inputs)[-1]))
            head = self.mnet_head
        elif self.stage == 2:
            x = self.extract_branch_feats(inputs, [self.predict_branch])[1][0]
            head = self.branch_heads[self.predict_branch]
        else:
            feats, pooled, _ = self.extract_branch_feats(inputs)
            mnet = self.mnet_embed(self._pool(feats[-1]))
            x, head = torch.cat([mnet, *pooled], dim=1), self.head
        return (x, ) if stage == 'neck' else (head.pre_logits((x, )), )

    def _predicting_head(self) -> nn.Module:
        if self.stage == 1:
            return self.mnet_head
        if self.stage == 2:
            return self.branch_heads[self.predict_branch]
        return self.head

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """``'tensor'``: logits of the predicting head; ``'loss'`` / ``'predict'`` as usual."""
        if mode == 'tensor':
            return self._predicting_head()(self.extract_feat(inputs))
        return super().forward(inputs, data_samples, mode)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict:
        """Losses of the current stage (stage 2: one set per branch, prefixed ``branch<b>.``)."""
        if self.stage != 2:
            return self._predicting_head().loss(self.extract_feat(inputs), data_samples)
        _, pooled, _ = self.extract_branch_feats(inputs, self.train_branches)
        losses = {}
        for b, x in zip(self.train_branches, pooled):
            for key, value in self.branch_heads[b].loss((x, ), data_samples).items():
                losses[f'branch{b}.{key}'] = value
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Predictions of the head of the current stage."""
        return self._predicting_head().predict(self.extract_feat(inputs), data_samples,
                                               **kwargs)


def _contains(parent: nn.Module, module: BaseModule) -> bool:
    return any(m is module for m in parent.modules())
