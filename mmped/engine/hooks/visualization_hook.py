# Copyright (c) mmped contributors. All rights reserved.
"""Validation / test visualisation: predictions and attention-map overlays."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.fileio import get
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from mmped.registry import HOOKS
from mmped.visualization import extract_attention_maps, overlay_map_groups

__all__ = ['PedVisualizationHook']


def _input_image(inputs: torch.Tensor, pad_hw: Sequence[int]) -> np.ndarray:
    """The visible image of a packed input (C, H, W) (BGR first), as RGB uint8, zero-padded
    at the bottom / right to the batch shape ``pad_hw`` the maps were computed on."""
    img = inputs[:3].permute(1, 2, 0).cpu().numpy()[..., ::-1]
    img = np.clip(img, 0, 255).astype(np.uint8)
    h, w = img.shape[:2]
    ph, pw = max(h, int(pad_hw[0])), max(w, int(pad_hw[1]))
    return np.ascontiguousarray(np.pad(img, ((0, ph - h), (0, pw - w), (0, 0))))


@HOOKS.register_module()
class PedVisualizationHook(Hook):
    """Draw predictions (as mmdet's / mmpretrain's hooks do) and attention overlays.

    Attention overlays: for the first ``num_attention_images`` images of every validation
    and test run, the model's attention / mask tensors
    (:func:`mmped.visualization.extract_attention_maps`: GDFL / CA-GDFL attention, HP-net MDA
    maps, Da-HAR masks, BUFF foreground probability, DCRL segmentation) are overlaid on the
    network input and sent to every vis backend of the visualizer (LocalVisBackend,
    TensorboardVisBackend...) as ``{val,test}_attention_<k>``, at step = the training
    iteration (validation) or the image index (test); with ``test_out_dir`` the test overlays
    are also written to ``<test_out_dir>/attention/``. Models without such tensors are
    skipped.

    Predictions (``draw=True``, e.g. ``tools/test.py --show-dir``): detectors through the
    visualizer's ``add_datasample`` (:class:`mmped.visualization.PedLocalVisualizer` or
    mmdet's), classifiers through ``visualize_cls`` (mmpretrain's ``UniversalVisualizer``);
    every ``interval``-th validation batch, every test image.

    Args:
        draw (bool): Draw predictions. Defaults to False.
        interval (int): Validation batches between prediction drawings. Defaults to 50.
        score_thr (float): Score threshold of drawn boxes. Defaults to 0.3.
        show (bool): Show the drawings in a window instead of storing them.
        wait_time (float): Seconds each shown drawing stays.
        test_out_dir (str, optional): Folder (under ``work_dir/<timestamp>``) for test drawings.
        num_attention_images (int): Images per val / test run with attention overlays
            (0 disables them). Defaults to 4.
        max_maps (int): Maps drawn per group (e.g. per HP-net branch). Defaults to 8.
        backend_args (dict, optional): File backend arguments to read images.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 score_thr: float = 0.3,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 num_attention_images: int = 4,
                 max_maps: int = 8,
                 backend_args: Optional[dict] = None) -> None:
        self._visualizer: Visualizer = Visualizer.get_current_instance()
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        if num_attention_images < 0:
            raise ValueError(f'num_attention_images must be >= 0, got {num_attention_images}')
        self.draw = draw
        self.interval = interval
        self.score_thr = score_thr
        self.show = show
        if show:
            self._visualizer._vis_backends = {}
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.num_attention_images = num_attention_images
        self.max_maps = max_maps
        self.backend_args = backend_args
        self._seen = 0
        self._test_index = 0

    # ----------------------------------------------------------------- attention overlays
    def before_val_epoch(self, runner) -> None:
        self._seen = 0

    def before_test_epoch(self, runner) -> None:
        self._seen = 0
        self._test_index = 0

    def _out_dir(self, runner) -> Optional[str]:
        if self.test_out_dir is None:
            return None
        out = self.test_out_dir
        if not osp.isabs(out):
            out = osp.join(runner.work_dir, runner.timestamp, out)
        mkdir_or_exist(out)
        return out

    def _draw_attention(self, runner, data_batch: dict, outputs: Sequence, mode: str) -> None:
        left = self.num_attention_images - self._seen
        if left <= 0:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        data = model.data_preprocessor(data_batch, False)
        maps = extract_attention_maps(model, data['inputs'])
        if not maps:
            self._seen = self.num_attention_images  # nothing to draw for this model
            return
        out_dir = self._out_dir(runner) if mode == 'test' else None
        step = runner.iter if mode == 'val' else 0
        pad_hw = data['inputs'].shape[-2:]
        for i in range(min(left, len(data_batch['inputs']))):
            grid = overlay_map_groups(_input_image(data_batch['inputs'][i], pad_hw),
                                      {k: v[i] for k, v in maps.items()}, self.max_maps)
            name = f'{mode}_attention_{self._seen}'
            if not self.show:
                self._visualizer.add_image(name, grid, step=step)
            else:
                self._visualizer.show(grid, win_name=name, wait_time=self.wait_time)
            if out_dir is not None:
                stem = osp.splitext(osp.basename(outputs[i].metainfo.get('img_path', name)))[0]
                mmcv.imwrite(grid[..., ::-1], osp.join(out_dir, 'attention', f'{stem}.png'))
            self._seen += 1

    # ----------------------------------------------------------------- predictions
    def _draw_prediction(self, data_sample, image_input: torch.Tensor, name: str, step: int,
                         out_file: Optional[str]) -> None:
        vis = self._visualizer
        if hasattr(vis, 'visualize_cls'):  # mmpretrain's UniversalVisualizer
            img = _input_image(image_input, image_input.shape[-2:])
            vis.visualize_cls(img, data_sample, classes=vis.dataset_meta.get('classes')
                              if vis.dataset_meta else None, show=self.show,
                              wait_time=self.wait_time, name=name, step=step,
                              out_file=out_file)
            return
        img_path = data_sample.metainfo.get('img_path')
        if img_path:
            img = mmcv.imfrombytes(get(img_path, backend_args=self.backend_args),
                                   channel_order='rgb')
        else:
            img = _input_image(image_input, image_input.shape[-2:])
        vis.add_datasample(name, img, data_sample=data_sample, show=self.show,
                           wait_time=self.wait_time, pred_score_thr=self.score_thr,
                           out_file=out_file, step=step)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        """Attention overlays of the first images; predictions every ``interval`` batches."""
        self._draw_attention(runner, data_batch, outputs, 'val')
        if not self.draw:
            return
        total = runner.iter + batch_idx
        if total % self.interval == 0:
            sample = outputs[0]
            name = osp.basename(sample.metainfo.get('img_path', 'val_img')) if self.show \
                else 'val_img'
            self._draw_prediction(sample, data_batch['inputs'][0], name, total, None)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        """Attention overlays of the first images; predictions of every image."""
        self._draw_attention(runner, data_batch, outputs, 'test')
        if not self.draw:
            return
        out_dir = self._out_dir(runner)
        for sample, inputs in zip(outputs, data_batch['inputs']):
            self._test_index += 1
            base = osp.basename(sample.metainfo.get('img_path', f'{self._test_index}.png'))
            out_file = None
            if out_dir is not None:
                stem = osp.splitext(base)[0]
                out_file = osp.join(out_dir, f'{self._test_index:06d}_{stem}.png')
            self._draw_prediction(sample, inputs, base if self.show else 'test_img',
                                  self._test_index, out_file)
