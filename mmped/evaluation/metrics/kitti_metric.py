# Copyright (c) mmped contributors. All rights reserved.
"""KITTI pedestrian AP metric."""
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmped.registry import METRICS

from ..functional.kitti_ap import eval_kitti_pedestrian_ap
from .miss_rate_metric import gt_and_detections, pedestrian_predictions


@METRICS.register_module()
class KITTIPedestrianMetric(BaseMetric):
    """KITTI 2D pedestrian AP (easy / moderate / hard, AP|R11 and AP|R40, IoU 0.5).

    Args:
        ann_file (str, optional): ``training/label_2`` folder; without it the GT comes from
            each data sample's ``instances`` (``PackDetInputs(meta_keys=(..., 'instances'))``).
        image_set (str, optional): Split file of ids (e.g. ``ImageSets/val.txt``).
        pred_label (int): Pedestrian label in ``pred_instances.labels``.
        difficulties (Sequence[str]): Subset of ``easy``, ``moderate``, ``hard``.
        submission_dir (str, optional): Also write the detections as KITTI result files
            (``<id>.txt``, ``label_2`` rows with a score, 2 decimals) into this folder, which
            must be absent or empty; ``tools/analysis/eval_mr.py --protocol kitti`` evaluates
            such a folder offline.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix; default ``'kitti'``.

    Returns keys ``<difficulty>_R11`` / ``<difficulty>_R40`` (percent, higher is better).
    """

    default_prefix: Optional[str] = 'kitti'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 image_set: Optional[str] = None,
                 pred_label: int = 0,
                 difficulties: Sequence[str] = ('easy', 'moderate', 'hard'),
                 submission_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.image_set = image_set
        self.pred_label = pred_label
        self.difficulties = tuple(difficulties)
        self.submission_dir = submission_dir

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect pedestrian detections (xyxy, original image pixels) per image."""
        for sample in data_samples:
            boxes, scores = pedestrian_predictions(sample, self.pred_label)
            res = dict(img_id=sample['img_id'], bboxes=boxes, scores=scores)
            if self.ann_file is None:
                res['gt'] = dict(img_id=sample['img_id'], instances=list(sample['instances']))
            self.results.append(res)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """AP per difficulty (percent)."""
        from mmped.datasets.parsers import parse_kitti
        load = (lambda: parse_kitti(self.ann_file, image_set=self.image_set)) \
            if self.ann_file is not None else None
        gt, dets = gt_and_detections(results, load)
        if self.submission_dir is not None:
            from mmped.datasets.parsers import write_kitti_results
            write_kitti_results(self.submission_dir, dets, [r['img_id'] for r in results])
        out = eval_kitti_pedestrian_ap(gt, dets, self.difficulties)
        MMLogger.get_current_instance().info(
            'KITTI pedestrian AP: ' + ', '.join(f'{k}={v:.2f}' for k, v in out.items()))
        return {k: float(v) for k, v in out.items()}
