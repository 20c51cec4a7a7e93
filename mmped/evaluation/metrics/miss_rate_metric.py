# Copyright (c) mmped contributors. All rights reserved.
"""mmengine metric wrapper of the log-average miss rate protocols."""
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmped.registry import METRICS

from ..functional.miss_rate import evaluate_miss_rate, get_mr_protocol, summarize_miss_rate
from .utils import to_numpy


def pedestrian_predictions(sample: dict, pred_label: int, score_thr: float = -np.inf,
                           xywh: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Pedestrian boxes and scores of one data sample's ``pred_instances``.

    Args:
        sample (dict): Data sample (``pred_instances.bboxes`` (N, 4) xyxy, ``scores``,
            ``labels``).
        pred_label (int): Pedestrian label index.
        score_thr (float): Minimum score.
        xywh (bool): Return ``[x, y, w, h]`` boxes instead of xyxy.

    Returns:
        tuple[np.ndarray, np.ndarray]: Boxes (M, 4) and scores (M,), float64.
    """
    pred = sample['pred_instances']
    boxes = to_numpy(pred['bboxes'], np.float64).reshape(-1, 4)
    scores = to_numpy(pred['scores'], np.float64).reshape(-1)
    labels = to_numpy(pred['labels'], np.float64).reshape(-1) if 'labels' in pred else \
        np.full(len(scores), pred_label)
    keep = (labels == pred_label) & (scores >= score_thr)
    boxes, scores = boxes[keep], scores[keep]
    if xywh:
        boxes = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    return boxes, scores


def gt_and_detections(results: List[dict], load_gt: Optional[Callable[[], List[dict]]]
                      ) -> Tuple[List[dict], Dict]:
    """Ground truth of the evaluated images and their detections, from collected results.

    Args:
        results (list[dict]): ``img_id``, ``bboxes``, ``scores`` and (without annotation file)
            ``gt`` per image.
        load_gt (callable, optional): Parses the annotation file (None: use ``r['gt']``).

    Returns:
        tuple: GT records restricted to the evaluated images, ``{img_id: (bboxes, scores)}``.
    """
    if load_gt is not None:
        seen = {r['img_id'] for r in results}
        gt = [g for g in load_gt() if g['img_id'] in seen]
        missing = seen - {g['img_id'] for g in gt}
        if missing:
            raise KeyError(f'{len(missing)} evaluated img_id(s) are not in the annotation '
                           f'file, e.g. {sorted(missing, key=str)[:3]}')
    else:
        gt = [r['gt'] for r in results]
    return gt, {r['img_id']: (r['bboxes'], r['scores']) for r in results}


@METRICS.register_module()
class MissRateMetric(BaseMetric):
    """Log-average miss rate (MR-2, optionally MR-4) of pedestrian detectors.

    Protocol presets reproduce the community reference scripts (see
    :mod:`mmped.evaluation.functional.miss_rate` and ``docs/det_benchmarks.md``).

    Args:
        ann_file (str, optional): Ground truth in any layout the protocol's parser reads
            (CityPersons ``val_gt.json`` / ``anno_val.mat`` / gtBbox folder, KAIST json or
            bbGt folder, Caltech json / bbGt folder / vbb / ``dbEval`` ``gt-<setup>.mat``
            cache (then only that setup, with the cache's flags), INRIA annotations). Without it,
            GT is taken from each data sample's ``instances`` (add ``'instances'`` to
            ``PackDetInputs.meta_keys``) or, failing that, from ``gt_instances`` /
            ``ignored_instances`` (heights from the boxes, visibility unknown).
        protocol (str): ``'citypersons'``, ``'caltech'``, ``'kaist'`` or ``'inria'``.
        setups (Sequence[str], optional): Subset of the preset's setups (default all).
        resize_dets (bool, optional): Caltech / INRIA detection aspect standardisation
            (None = preset = original toolbox).
        mr4 (bool): Also report ``<setup>_MR-4``.
        pred_label (int): Label index of pedestrians in ``pred_instances.labels``.
        score_thr (float): Drop detections below this score before evaluation.
        image_set (str, optional): Frame list for text-folder annotations (KAIST / Caltech).
        protocol_cfg (dict, optional): Further :class:`MRProtocol` overrides (``max_dets``,
            ``mr_floor``, ``fppi_decimals``, ``drop_images_without_dets``, ``iou_thr``).
        outfile_prefix (str, optional): Also write ``<prefix>.bbox.json`` (COCO results).
        format_only (bool): Only write the results file (test sets without GT).
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric key prefix; default ``'pedestrian'``.
    """

    default_prefix: Optional[str] = 'pedestrian'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 protocol: str = 'citypersons',
                 setups: Optional[Sequence[str]] = None,
                 resize_dets: Optional[bool] = None,
                 mr4: bool = False,
                 pred_label: int = 0,
                 score_thr: float = 0.0,
                 image_set: Optional[str] = None,
                 protocol_cfg: Optional[dict] = None,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        from mmped.datasets.parsers.auto import dbeval_cache_setup
        cache_setup = dbeval_cache_setup(ann_file) \
            if ann_file and protocol in ('caltech', 'caltech_new') else None
        if cache_setup is not None:  # dbEval gt-<setup>.mat: that setup, flags as they are
            setups = [cache_setup]
        self.protocol = get_mr_protocol(protocol, setups=setups, resize_dets=resize_dets,
                                        gt_prefiltered=cache_setup is not None,
                                        **(protocol_cfg or {}))
        self.ann_file = ann_file
        self.image_set = image_set
        self.mr4 = mr4
        self.pred_label = pred_label
        self.score_thr = score_thr
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix')
        self._gt_cache: Optional[List[dict]] = None
        if ann_file is not None:
            # checked when built, not after the whole test loop
            if not os.path.exists(ann_file):
                raise FileNotFoundError(f'MissRateMetric: ann_file {ann_file} does not exist')
            if not format_only:
                self._ground_truth()

    def _ground_truth(self) -> List[dict]:
        if self._gt_cache is None:
            from mmped.datasets.parsers.auto import load_ground_truth
            self._gt_cache = load_ground_truth(self.ann_file, self.protocol.name,
                                               image_set=self.image_set)
        return self._gt_cache

    @staticmethod
    def _sample_gt(sample: dict) -> dict:
        """Ground-truth record from one data sample (no ``ann_file``)."""
        if 'instances' in sample:
            return dict(img_id=sample['img_id'], instances=list(sample['instances']),
                        condition=sample.get('condition', ''))
        scale = np.asarray(sample.get('scale_factor', (1.0, 1.0)), dtype=np.float64)
        scale = np.tile(scale.reshape(-1)[:2], 2)
        instances = []
        for key, ign in (('gt_instances', 0), ('ignored_instances', 1)):
            if key not in sample or 'bboxes' not in sample[key]:
                continue
            boxes = to_numpy(sample[key]['bboxes'], np.float64).reshape(-1, 4) / scale
            for b in boxes.tolist():
                instances.append(dict(bbox=b, ignore_flag=ign, height=b[3] - b[1], occlusion=0))
        return dict(img_id=sample['img_id'], instances=instances,
                    condition=sample.get('condition', ''))

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect detections (and GT when there is no ``ann_file``) of a batch.

        Args:
            data_batch (dict): The batch (unused).
            data_samples (Sequence[dict]): Outputs with ``img_id`` and ``pred_instances``
                (``bboxes`` (N, 4) xyxy in original-image pixels, ``scores`` (N,),
                ``labels`` (N,)).
        """
        for sample in data_samples:
            xywh, scores = pedestrian_predictions(sample, self.pred_label, self.score_thr,
                                                  xywh=True)
            result = dict(img_id=sample['img_id'], bboxes=xywh, scores=scores)
            if self.ann_file is None and not self.format_only:
                result['gt'] = self._sample_gt(sample)
            self.results.append(result)

    def _dump(self, results: List[dict]) -> str:
        """Write the detections as a COCO results json (``<outfile_prefix>.bbox.json``)."""
        from mmped.datasets.parsers.coco_writer import write_json_atomic
        out = [
            dict(image_id=r['img_id'], category_id=1, bbox=b, score=s) for r in results
            for b, s in zip(r['bboxes'].tolist(), r['scores'].tolist())
        ]
        return str(write_json_atomic(f'{self.outfile_prefix}.bbox.json', out))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Evaluate all collected results.

        Args:
            results (list): Per-image dicts from :meth:`process`.

        Returns:
            dict[str, float]: ``{setup: MR-2 in percent}`` (+ MR-4 / recall keys).
        """
        logger = MMLogger.get_current_instance()
        if self.outfile_prefix is not None:
            logger.info(f'detections written to {self._dump(results)}')
        if self.format_only:
            return {}
        gt, dets = gt_and_detections(results,
                                     self._ground_truth if self.ann_file is not None else None)
        res = evaluate_miss_rate(gt, dets, self.protocol)
        metrics = summarize_miss_rate(res, self.protocol, mr4=self.mr4)
        lines = [f'{k:>20s}: {v:6.2f}%' for k, v in metrics.items()]
        logger.info(f'{self.protocol.name} log-average miss rate:\n' + '\n'.join(lines))
        return metrics
