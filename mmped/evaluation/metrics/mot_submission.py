# Copyright (c) mmped contributors. All rights reserved.
"""MOTChallenge detection submission files (MOT17Det test sequences)."""
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmped.registry import METRICS
from mmped.utils.fileio import write_bytes_atomic

from .miss_rate_metric import pedestrian_predictions


def format_motchallenge_detections(frames: np.ndarray, boxes: np.ndarray,
                                   scores: np.ndarray) -> str:
    """Rows of a MOTChallenge detection file.

    Each row is ``frame, -1, bb_left, bb_top, bb_width, bb_height, conf, -1, -1, -1`` (the
    layout of the benchmark's ``det.txt`` files), sorted by frame then decreasing score, in
    the coordinates of the ground truth (``gt.txt`` boxes are read unshifted by
    :func:`mmped.datasets.parsers.parse_mot`, so the detections are written unshifted too).

    Args:
        frames (np.ndarray): (M, ) 1-based frame numbers.
        boxes (np.ndarray): (M, 4) ``[x, y, w, h]`` boxes.
        scores (np.ndarray): (M, ) confidences.

    Returns:
        str: The file content (empty for no detection).
    """
    frames = np.asarray(frames, dtype=np.int64).reshape(-1)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = np.lexsort((-scores, frames))
    frames, boxes, scores = frames[order], boxes[order], scores[order]
    lines = [f'{f},-1,{b[0]:.2f},{b[1]:.2f},{b[2]:.2f},{b[3]:.2f},{s:.6f},-1,-1,-1\n'
             for f, b, s in zip(frames.tolist(), boxes.tolist(), scores.tolist())]
    return ''.join(lines)


@METRICS.register_module()
class MOTChallengeDetWriter(BaseMetric):
    """Write MOTChallenge detection submission files, one ``<seq>.txt`` per sequence.

    For the MOT17Det test sequences, whose ground truth is held by the benchmark server: run
    ``mim test`` with this evaluator and upload the folder's files (zipped). Images are
    identified by ``img_id = '<seq>/<frame:06d>'`` (as :class:`MOT17DetDataset` sets them);
    every sequence seen gets a file, also when it has no detection. Existing files are never
    overwritten (the run fails naming them), and files are written atomically.

    Args:
        outfile_dir (str): Output folder (created if missing).
        pred_label (int): Pedestrian label in ``pred_instances.labels``.
        score_thr (float): Detections below this score are not written. Defaults to 0.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Key prefix; default ``'motchallenge'``.

    Returns no metric (an empty dict).
    """

    default_prefix: Optional[str] = 'motchallenge'

    def __init__(self,
                 outfile_dir: str,
                 pred_label: int = 0,
                 score_thr: float = 0.,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.outfile_dir = Path(outfile_dir)
        self.pred_label = pred_label
        self.score_thr = score_thr

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect each frame's pedestrian detections as ``[x, y, w, h]``."""
        for sample in data_samples:
            xywh, scores = pedestrian_predictions(sample, self.pred_label, self.score_thr,
                                                  xywh=True)
            self.results.append(dict(img_id=str(sample['img_id']), bboxes=xywh,
                                     scores=scores))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the files; returns an empty dict."""
        by_seq: Dict[str, List[dict]] = {}
        for res in results:
            seq, _, frame = res['img_id'].partition('/')
            if not frame.isdigit():
                raise ValueError(f'MOTChallengeDetWriter: img_id {res["img_id"]!r} is not '
                                 "'<sequence>/<frame number>'")
            by_seq.setdefault(seq, []).append(dict(res, frame=int(frame)))
        targets = {seq: self.outfile_dir / f'{seq}.txt' for seq in by_seq}
        existing = [str(p) for p in targets.values() if p.exists()]
        if existing:
            raise FileExistsError(f'MOTChallengeDetWriter: refusing to overwrite {existing}')
        for seq, items in sorted(by_seq.items()):
            frames = np.concatenate([np.full(len(r['scores']), r['frame']) for r in items])
            boxes = np.concatenate([r['bboxes'].reshape(-1, 4) for r in items])
            scores = np.concatenate([r['scores'] for r in items])
            write_bytes_atomic(targets[seq],
                               format_motchallenge_detections(frames, boxes, scores).encode())
        MMLogger.get_current_instance().info(
            f'MOTChallenge detections of {len(targets)} sequences written to {self.outfile_dir}')
        return {}
