# Copyright (c) mmped contributors. All rights reserved.
"""mmengine metric wrapper of :mod:`mmped.evaluation.functional.person_search`."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmped.evaluation.functional.person_search import (
    eval_detection,
    eval_person_search,
    score_at_least,
)
from mmped.registry import METRICS

from .utils import to_numpy


def _searched(gallery: List[dict], det_thresh: float) -> List[dict]:
    """Gallery records restricted to the detections that carry features (score >= thresh)."""
    out = []
    for g in gallery:
        keep = score_at_least(g['scores'], det_thresh)
        out.append(dict(g, bboxes=g['bboxes'][keep], scores=g['scores'][keep]))
    return out


@METRICS.register_module()
class PersonSearchMetric(BaseMetric):
    """Person-search mAP / top-k (CUHK-SYSU and PRW protocols) and detection recall / AP.

    Each test image is one data sample. The model writes ``pred_instances`` (``bboxes`` in the
    original image, ``scores``, ``reid_feats``) and, for images holding queries, ``query_feats``
    (Q_i, D) in the order of ``metainfo['queries']`` (a list of dicts with ``bbox``,
    ``person_id``, ``query_id`` and ``gallery``, written by the dataset). Ground truth comes from
    ``gt_instances`` (``bboxes`` in original-image pixels, as with mmdet's test pipelines, which
    load annotations after ``Resize``, and ``person_ids``).

    The two thresholds follow SeqNet's test engine: detection recall / AP on gallery detections
    scoring ``>= det_eval_thresh`` (0.01), the search on those scoring ``>= det_thresh`` (0.5);
    both are reported (``det_recall`` / ``det_ap`` and ``mAP`` / ``top{k}``). Only what the
    protocol can use is kept per image: boxes and scores of detections above the lower
    threshold, re-ID features only of those above ``det_thresh`` (float32).

    Args:
        det_thresh (float): Minimum score of the gallery detections searched. Defaults to 0.5.
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
        cross_camera (bool): PRW variant searching only other cameras. Defaults to False.
        det_iou_thr (float): IoU of the detection recall / AP. Defaults to 0.5.
        det_labelled_only (bool): Detection metrics on labelled people only, with the
            reference's semantics (see :func:`eval_detection`). Defaults to False.
        det_eval_thresh (float): Minimum score of the detections of the detection recall / AP.
            Defaults to 0.01.
        det_matching (str): ``'mutual_best'`` (reference) or ``'greedy'``. Defaults to
            ``'mutual_best'``.
        duplicate_gallery (str): ``'seqnet'`` (reference), ``'oim'`` or ``'unique'``: how an
            image listed twice in a protocol gallery counts (see
            :mod:`mmped.evaluation.functional.person_search`). Defaults to ``'seqnet'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'person_search'``.
    """

    default_prefix: Optional[str] = 'person_search'

    def __init__(self,
                 det_thresh: float = 0.5,
                 topk: Sequence[int] = (1, 5, 10),
                 cross_camera: bool = False,
                 det_iou_thr: float = 0.5,
                 det_labelled_only: bool = False,
                 det_eval_thresh: float = 0.01,
                 det_matching: str = 'mutual_best',
                 duplicate_gallery: str = 'seqnet',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.det_thresh = det_thresh
        self.topk = tuple(topk)
        self.cross_camera = cross_camera
        self.det_iou_thr = det_iou_thr
        self.det_labelled_only = det_labelled_only
        self.det_eval_thresh = det_eval_thresh
        if det_matching not in ('mutual_best', 'greedy'):
            raise ValueError(f'det_matching={det_matching!r}, expected mutual_best or greedy')
        if duplicate_gallery not in ('seqnet', 'oim', 'unique'):
            raise ValueError(f'duplicate_gallery={duplicate_gallery!r}, expected seqnet, oim '
                             'or unique')
        self.det_matching = det_matching
        self.duplicate_gallery = duplicate_gallery

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Store gallery detections and query features of a batch.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict]): Model outputs (``DetDataSample.to_dict()``).
        """
        for sample in data_samples:
            pred = sample['pred_instances']
            gt = sample.get('gt_instances', {})
            img_id = sample.get('img_path', sample.get('img_id'))
            # exactly one result per data sample (its queries nested): mmengine truncates the
            # collected results to the dataset length and interleaves them across ranks
            # scores stay in the model's precision (float32), as the reference filters them
            scores = to_numpy(pred['scores']).reshape(-1)
            kept = score_at_least(scores, min(self.det_thresh, self.det_eval_thresh))
            searched = score_at_least(scores[kept], self.det_thresh)
            feats = to_numpy(pred['reid_feats']).astype(np.float32)
            feats = feats[kept][searched]  # (N, D) -> (K, D)
            record = dict(
                kind='gallery', img_id=img_id, cam_id=sample.get('cam_id', -1),
                bboxes=to_numpy(pred['bboxes']).reshape(-1, 4).astype(np.float64)[kept],
                scores=scores[kept], feats=feats,
                gt_bboxes=to_numpy(gt.get('bboxes', np.zeros((0, 4)))).reshape(-1, 4).astype(
                    np.float64),
                gt_person_ids=to_numpy(gt.get('person_ids', np.zeros(0))).reshape(-1),
                queries=[])
            queries = sample.get('queries') or []
            if queries:
                feats = to_numpy(sample['query_feats'])
                if feats.shape[0] != len(queries):
                    raise ValueError(f'{img_id}: {feats.shape[0]} query features for '
                                     f'{len(queries)} queries')
                for q, f in zip(queries, feats):
                    record['queries'].append(dict(
                        kind='query', img_id=img_id, cam_id=sample.get('cam_id', -1),
                        query_id=q['query_id'], bbox=to_numpy(q['bbox'], np.float64),
                        person_id=int(q['person_id']), feat=f.astype(np.float32),
                        gallery=q.get('gallery'), gallery_bboxes=q.get('gallery_bboxes')))
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute mAP, top-k, detection recall and AP over all collected results."""
        logger = MMLogger.get_current_instance()
        gallery = list(results)
        # galleries of protocol files name images by file name; results carry full paths
        by_name = {}
        for g in gallery:
            by_name.setdefault(str(g['img_id']).replace('\\', '/').split('/')[-1], g['img_id'])
        queries = sorted((dict(q) for r in results for q in r['queries']),
                         key=lambda r: r['query_id'])
        for q in queries:
            if q['gallery'] is not None:
                q['gallery'] = [by_name.get(n, n) for n in q['gallery']]
        search = eval_person_search(_searched(gallery, self.det_thresh), queries,
                                    det_thresh=self.det_thresh, topk=self.topk,
                                    cross_camera=self.cross_camera,
                                    duplicate_gallery=self.duplicate_gallery)
        det = eval_detection(gallery, det_thresh=self.det_eval_thresh, iou_thr=self.det_iou_thr,
                             labelled_only=self.det_labelled_only, matching=self.det_matching)
        metrics = {'mAP': search['mAP']}
        metrics.update({f'top{k}': search[f'top{k}'] for k in self.topk})
        metrics.update(det_recall=det['recall'], det_ap=det['ap'])
        logger.info(f'person search: {len(queries)} queries, {len(gallery)} gallery images; '
                    + ', '.join(f'{k}={v:.4f}' for k, v in metrics.items()))
        return metrics
