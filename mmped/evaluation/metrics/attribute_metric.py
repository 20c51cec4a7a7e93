# Copyright (c) mmped contributors. All rights reserved.
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric

from mmped.evaluation.functional.attribute import eval_attributes, eval_wider_attribute_map
from mmped.registry import METRICS

from .utils import to_numpy

__all__ = ['AttributeMetric', 'WIDERAttributeMetric']


class _AttributeCollector(BaseMetric):
    """Collects ``pred_score``, ``gt_score`` and ``gt_valid`` (see docs/attributes.md)."""

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            score = to_numpy(ds['pred_score']).astype(np.float32)
            gt = to_numpy(ds['gt_score']).astype(np.int8)
            valid = to_numpy(ds['gt_valid']).astype(bool) if 'gt_valid' in ds else np.ones(
                gt.shape, dtype=bool)
            gt = np.where(valid, gt, -1).astype(np.int8)
            self.results.append((score, gt))

    def _stack(self, results: List[tuple]) -> tuple:
        scores = np.stack([r[0] for r in results])
        gt = np.stack([r[1] for r in results])
        return gt, scores

    def _names(self, num: int) -> List[str]:
        names = (self.dataset_meta or {}).get('classes')
        return list(names) if names and len(names) == num else [f'attr{i}' for i in range(num)]


@METRICS.register_module()
class AttributeMetric(_AttributeCollector):
    """mA and instance-based accuracy / precision / recall / F1 (PETA, RAP, PA-100K).

    Wraps :func:`mmped.evaluation.functional.eval_attributes`; labels with ``gt_valid`` False
    are ignored. Values are reported in percent.

    Args:
        threshold (float): Positive when ``pred_score > threshold``. Defaults to 0.5.
        per_attribute (bool): Also report ``ma_<name>`` for every attribute.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'attr'``.
    """

    default_prefix: Optional[str] = 'attr'

    def __init__(self, threshold: float = 0.5, per_attribute: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.threshold = threshold
        self.per_attribute = per_attribute

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        gt, scores = self._stack(results)
        res = eval_attributes(gt, scores, self.threshold, ignore_value=-1)
        out = {k: 100.0 * res[k] for k in ('mA', 'accuracy', 'precision', 'recall', 'f1')}
        if self.per_attribute:
            for name, v in zip(self._names(gt.shape[1]), res['label_ma']):
                out[f'ma_{name}'] = 100.0 * float(v)
        return out


@METRICS.register_module()
class WIDERAttributeMetric(_AttributeCollector):
    """WIDER-Attribute mAP: AP per attribute after removing unspecified labels, in percent.

    Args:
        per_attribute (bool): Also report ``AP_<name>``. Defaults to True.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'wider_attr'``.
    """

    default_prefix: Optional[str] = 'wider_attr'

    def __init__(self, per_attribute: bool = True, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.per_attribute = per_attribute

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        gt, scores = self._stack(results)
        res = eval_wider_attribute_map(gt, scores, ignore_value=-1)
        out = dict(mAP=100.0 * res['mAP'])
        if self.per_attribute:
            for name, v in zip(self._names(gt.shape[1]), res['ap']):
                out[f'AP_{name}'] = 100.0 * float(v)
        return out
