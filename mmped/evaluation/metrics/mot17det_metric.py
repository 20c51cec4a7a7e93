# Copyright (c) mmped contributors. All rights reserved.
"""MOT17Det AP metric."""
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmped.registry import METRICS

from ..functional.mot_ap import eval_mot17det_ap
from .miss_rate_metric import gt_and_detections, pedestrian_predictions


@METRICS.register_module()
class MOT17DetMetric(BaseMetric):
    """MOT17Det detection AP at IoU 0.5 (see :mod:`mmped.evaluation.functional.mot_ap`).

    Args:
        ann_file (str, optional): Split folder with ``<seq>/gt/gt.txt`` (or one ``gt.txt``);
            without it the GT comes from each data sample's ``instances``.
        pred_label (int): Pedestrian label in ``pred_instances.labels``.
        iou_thr (float): Matching threshold.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix; default ``'mot17det'``.

    Returns keys ``AP``, ``recall``, ``precision`` (percent).
    """

    default_prefix: Optional[str] = 'mot17det'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 pred_label: int = 0,
                 iou_thr: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.pred_label = pred_label
        self.iou_thr = iou_thr

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect pedestrian detections per frame (converted to ``[x, y, w, h]``)."""
        for sample in data_samples:
            xywh, scores = pedestrian_predictions(sample, self.pred_label, xywh=True)
            res = dict(img_id=sample['img_id'], bboxes=xywh, scores=scores)
            if self.ann_file is None:
                res['gt'] = dict(img_id=sample['img_id'], instances=list(sample['instances']))
            self.results.append(res)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """AP / recall / precision in percent."""
        from mmped.datasets.parsers import parse_mot
        # every class of gt.txt: the devkit's cleaning step matches detections to all rows
        load = (lambda: parse_mot(self.ann_file, keep_all_classes=True)) \
            if self.ann_file is not None else None
        gt, dets = gt_and_detections(results, load)
        out = eval_mot17det_ap(gt, dets, self.iou_thr)
        MMLogger.get_current_instance().info(
            f"MOT17Det AP {out['AP']:.2f} recall {out['recall']:.2f} "
            f"precision {out['precision']:.2f}")
        return {k: float(out[k]) for k in ('AP', 'recall', 'precision')}
