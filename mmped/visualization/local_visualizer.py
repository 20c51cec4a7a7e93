# Copyright (c) mmped contributors. All rights reserved.
"""Visualizer for pedestrian detection: boxes, ignore regions, RGB-T pairs and heat maps."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmdet.visualization import DetLocalVisualizer
from mmengine.dist import master_only

from mmped.registry import VISUALIZERS

from .heatmap import overlay_map_groups, pair_side_by_side

__all__ = ['PedLocalVisualizer']

Color = Tuple[int, int, int]


def _boxes(instances, score_thr: Optional[float] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 4) xyxy boxes and (N,) scores (ones for ground truth) of an InstanceData."""
    if instances is None or 'bboxes' not in instances or len(instances) == 0:
        return np.zeros((0, 4), np.float32), np.zeros((0, ), np.float32)
    boxes = instances.bboxes
    boxes = getattr(boxes, 'tensor', boxes)
    boxes = boxes.detach().cpu().numpy() if isinstance(boxes, torch.Tensor) else np.asarray(boxes)
    scores = instances.scores if 'scores' in instances else None
    if scores is None:
        return boxes.reshape(-1, 4), np.ones(len(boxes), np.float32)
    scores = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else \
        np.asarray(scores)
    keep = scores >= (score_thr or 0.0)
    return boxes.reshape(-1, 4)[keep], scores[keep]


@VISUALIZERS.register_module()
class PedLocalVisualizer(DetLocalVisualizer):
    """Draw pedestrians (one class) on one panel: ground truth, ignore regions, predictions.

    Ground-truth boxes are drawn in ``gt_color``, ignore regions (``ignored_instances``) in
    ``ignore_color`` with dashed lines, predictions above the score threshold in
    ``pred_color`` with their score. An RGB-T sample (a ``(H, W, 3 + C)`` stacked image, or a
    3-channel visible image whose data sample carries ``lwir_path``) is drawn as the visible
    and thermal images side by side, with the boxes on both. :meth:`add_heatmaps` draws
    attention / mask tensors over the image. Every drawing goes to all vis backends
    (``add_image``) and optionally to ``out_file``.

    Args:
        name (str): Instance name. Defaults to ``'visualizer'``.
        gt_color (tuple): RGB colour of ground-truth boxes.
        ignore_color (tuple): RGB colour of ignore regions.
        pred_color (tuple): RGB colour of predicted boxes.
        **kwargs: :class:`mmdet.visualization.DetLocalVisualizer` arguments
            (``vis_backends``, ``save_dir``, ``line_width``...).
    """

    def __init__(self, name: str = 'visualizer', gt_color: Color = (0, 220, 0),
                 ignore_color: Color = (170, 170, 170), pred_color: Color = (255, 60, 60),
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.gt_color = tuple(gt_color)
        self.ignore_color = tuple(ignore_color)
        self.pred_color = tuple(pred_color)

    def draw_pedestrians(self, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                         draw_pred: bool = True, pred_score_thr: float = 0.3) -> np.ndarray:
        """Draw the boxes of ``data_sample`` on one RGB image (H, W, 3); returns the drawing."""
        self.set_image(image)
        if data_sample is not None:
            layers = []
            if draw_gt:
                layers += [(_boxes(data_sample.get('ignored_instances')), self.ignore_color,
                            '--', False),
                           (_boxes(data_sample.get('gt_instances')), self.gt_color, '-', False)]
            if draw_pred:
                layers.append((_boxes(data_sample.get('pred_instances'), pred_score_thr),
                               self.pred_color, '-', True))
            for (boxes, scores), color, style, with_score in layers:
                if not len(boxes):
                    continue
                self.draw_bboxes(boxes, edge_colors=[color] * len(boxes), line_styles=style,
                                 line_widths=self.line_width)
                if with_score:
                    self.draw_texts([f'{s:.2f}' for s in scores], boxes[:, :2],
                                    colors=[color] * len(boxes),
                                    font_sizes=int(max(8, min(13, image.shape[0] / 40))),
                                    vertical_alignments='bottom')
        return self.get_image()

    def compose(self, image: np.ndarray, data_sample=None, draw_gt: bool = True,
                draw_pred: bool = True, pred_score_thr: float = 0.3,
                modality_channels: Optional[Sequence[int]] = None) -> np.ndarray:
        """The drawing of a sample: one panel, or the modalities of an RGB-T pair side by side.

        Args:
            image (np.ndarray): RGB (H, W, 3) image, or a stacked pair (H, W, 3 + C) with the
                visible image first (RGB) and the thermal one after.
            data_sample (DetDataSample, optional): Boxes to draw.
            draw_gt (bool): Draw ground truth and ignore regions.
            draw_pred (bool): Draw predictions.
            pred_score_thr (float): Score threshold of predictions.
            modality_channels (Sequence[int], optional): Channels per modality of a stacked
                image (default: ``data_sample.modality_channels`` or ``(3, C)``).

        Returns:
            np.ndarray: RGB drawing (H, W * M, 3), M = number of modalities.
        """
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.shape[2] == 3 and data_sample is not None and \
                data_sample.metainfo.get('lwir_path'):
            lwir = mmcv.imread(data_sample.lwir_path, channel_order='rgb')
            if lwir is None:
                raise FileNotFoundError(f'cannot read the thermal image {data_sample.lwir_path}')
            if lwir.shape[:2] != image.shape[:2]:
                lwir = mmcv.imresize(lwir, image.shape[1::-1])
            image = np.concatenate([image, lwir], axis=2)
        if image.shape[2] == 3:
            return self.draw_pedestrians(image, data_sample, draw_gt, draw_pred, pred_score_thr)
        if modality_channels is None:
            modality_channels = (data_sample.metainfo.get('modality_channels')
                                 if data_sample is not None else None) or \
                (3, image.shape[2] - 3)
        pair = pair_side_by_side(image, modality_channels)
        w = image.shape[1]
        panels = [self.draw_pedestrians(np.ascontiguousarray(pair[:, k * w:(k + 1) * w]),
                                        data_sample, draw_gt, draw_pred, pred_score_thr)
                  for k in range(len(modality_channels))]
        return np.concatenate(panels, axis=1)

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0,
                       modality_channels: Optional[Sequence[int]] = None) -> np.ndarray:
        """Draw a sample (see :meth:`compose`), then show it, save it to ``out_file`` or send
        it to every vis backend (only when neither ``show`` nor ``out_file`` is given, as
        mmdet's visualizer does). Returns the RGB drawing."""
        drawn = self.compose(image, data_sample, draw_gt, draw_pred, pred_score_thr,
                             modality_channels)
        self._output(name, drawn, show, wait_time, out_file, step)
        return drawn

    @master_only
    def add_heatmaps(self, name: str, image: np.ndarray, maps: Dict[str, object],
                     step: int = 0, out_file: Optional[str] = None, max_maps: int = 8,
                     alpha: float = 0.5, to_backends: bool = True) -> np.ndarray:
        """Overlay named groups of maps ({name: (K, h, w)}) on the RGB image (one row per
        group), send the grid to every vis backend (unless ``to_backends=False``) and
        ``out_file``. Returns the grid (RGB)."""
        grid = overlay_map_groups(image, maps, max_maps=max_maps, alpha=alpha)
        if to_backends:
            self.add_image(name, grid, step)
        if out_file is not None:
            mmcv.imwrite(grid[..., ::-1], out_file)
        return grid

    def _output(self, name: str, drawn: np.ndarray, show: bool, wait_time: float,
                out_file: Optional[str], step: int) -> None:
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        elif not show:
            self.add_image(name, drawn, step)


def save_drawing(drawn: np.ndarray, out_file: str) -> str:
    """Write an RGB drawing to ``out_file`` (creating its folder); returns the path."""
    mmcv.imwrite(drawn[..., ::-1], out_file, auto_mkdir=True)
    return osp.abspath(out_file)
