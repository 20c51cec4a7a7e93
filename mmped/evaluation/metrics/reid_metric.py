# Copyright (c) mmped contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmped.evaluation.functional.reid import compute_distance, eval_reid_full, re_ranking
from mmped.registry import METRICS

__all__ = ['ReIDMetric']


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Re-identification CMC / mAP / mINP with an explicit query / gallery split.

    Unlike mmdet's ``ReIDMetrics`` (all-vs-all, no camera filter) this applies the real
    protocols: the data samples carry ``pred_feature`` (D,) and the metainfo ``pid``,
    ``camid`` and ``split`` (``'query'`` / ``'gallery'``) of docs/attributes.md; distances
    between query and gallery features are evaluated by
    :func:`mmped.evaluation.functional.eval_reid_full`. Values are reported in percent.

    Args:
        metric (str): ``'euclidean'``, ``'sqeuclidean'`` or ``'cosine'``. Defaults to
            ``'euclidean'``.
        protocol (str): ``'market1501'``, ``'cuhk03_classic'`` or ``'no_cam_filter'``.
        topk (Sequence[int]): Ranks reported as ``R<k>``. Defaults to (1, 5, 10, 20).
        max_rank (int): CMC length. Defaults to 50.
        norm_feat (bool): L2-normalise the features first. Defaults to False.
        rerank (bool): Apply k-reciprocal re-ranking. Defaults to False.
        k1, k2, lambda_value: Re-ranking parameters (20, 6, 0.3).
        num_repeats (int): Draws of the CUHK03 classic protocol. Defaults to 10.
        seed (int): Seed of those draws. Defaults to 0.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'reid'``.
    """

    default_prefix: Optional[str] = 'reid'

    def __init__(self, metric: str = 'euclidean', protocol: str = 'market1501',
                 topk: Sequence[int] = (1, 5, 10, 20), max_rank: int = 50,
                 norm_feat: bool = False, rerank: bool = False, k1: int = 20, k2: int = 6,
                 lambda_value: float = 0.3, num_repeats: int = 10, seed: int = 0,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if max(topk) > max_rank:
            raise ValueError(f'topk {topk} exceeds max_rank {max_rank}')
        self.metric, self.protocol = metric, protocol
        self.topk, self.max_rank = tuple(topk), max_rank
        self.norm_feat, self.rerank = norm_feat, rerank
        self.k1, self.k2, self.lambda_value = k1, k2, lambda_value
        self.num_repeats, self.seed = num_repeats, seed

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            feat = ds['pred_feature']
            feat = feat.detach().cpu().float().numpy() if isinstance(
                feat, torch.Tensor) else np.asarray(feat, dtype=np.float32)
            for key in ('pid', 'camid', 'split'):
                if key not in ds:
                    raise KeyError(f'ReIDMetric needs data-sample metainfo {key!r} (pack it '
                                   f'with PackInputs(meta_keys=(..., {key!r})))')
            self.results.append((feat, int(ds['pid']), int(ds['camid']), str(ds['split'])))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        feats = np.stack([r[0] for r in results]).astype(np.float32)
        if self.norm_feat:
            feats /= np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
        pids = np.array([r[1] for r in results])
        camids = np.array([r[2] for r in results])
        split = np.array([r[3] for r in results])
        q, g = split == 'query', split == 'gallery'
        if not q.any() or not g.any():
            raise ValueError('ReIDMetric needs both query and gallery samples (split metainfo)')
        dist = compute_distance(feats[q], feats[g], self.metric)
        if self.rerank:
            dist = re_ranking(dist, compute_distance(feats[q], feats[q], self.metric),
                              compute_distance(feats[g], feats[g], self.metric), self.k1,
                              self.k2, self.lambda_value)
        res = eval_reid_full(dist, pids[q], pids[g], camids[q], camids[g],
                             max_rank=self.max_rank, protocol=self.protocol,
                             num_repeats=self.num_repeats, seed=self.seed)
        out = dict(mAP=100.0 * res['mAP'], mINP=100.0 * res['mINP'])
        for k in self.topk:
            out[f'R{k}'] = 100.0 * float(res['cmc'][k - 1])
        return out
