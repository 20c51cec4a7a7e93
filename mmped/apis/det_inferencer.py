# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian detection on images, folders and videos (mmdet's ``DetInferencer`` in the mmped
scope), writing drawn images, a COCO-style results json that ``tools/analysis/eval_mr.py``
reads, and MP4 videos."""
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmdet.apis import DetInferencer

from mmped.utils.fileio import write_bytes_atomic

from .inputs import (
    PathLike,
    check_out_dir,
    expand_images,
    is_video,
    iter_video_frames,
    open_video,
    progress,
    read_image,
)

__all__ = ['PedDetInferencer', 'init_ped_detector', 'coco_results', 'image_ids_from_gt']


def _dataset_meta(cfg) -> Optional[dict]:
    """METAINFO of the config's test dataset class (pedestrian classes), if it has one."""
    from mmped.registry import DATASETS

    ds = cfg.get('test_dataloader', {}).get('dataset', {})
    cls = DATASETS.get(ds.get('type', '')) if isinstance(ds.get('type'), str) else None
    meta = dict(getattr(cls, 'METAINFO', {}) or {}) if cls is not None else {}
    meta.update(ds.get('metainfo') or {})
    return meta if meta.get('classes') else None


def init_ped_detector(config, checkpoint: Optional[str] = None, device: str = 'cpu',
                      cfg_options: Optional[dict] = None):
    """``mmdet.apis.init_detector`` in the mmped scope, with the class names of the config's
    dataset when the checkpoint has none (instead of COCO's).

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint; None keeps the initial (random) weights.
        device (str): Device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The detector in eval mode, with ``cfg`` and ``dataset_meta``.
    """
    from mmdet.apis import init_detector
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = config if isinstance(config, Config) else Config.fromfile(str(config))
    with DefaultScope.overwrite_default_scope('mmped'):
        model = init_detector(cfg, checkpoint, device=device, cfg_options=cfg_options)
    _use_dataset_classes(model, model.cfg, checkpoint)
    return model


def _use_dataset_classes(model, cfg, checkpoint: Optional[str]) -> Optional[dict]:
    """Give ``model`` the config dataset's meta when the checkpoint names no classes (mmdet
    then falls back to COCO's 80); returns the meta set, or None."""
    classes = (model.dataset_meta or {}).get('classes')
    meta = _dataset_meta(cfg)
    if meta is None or not (checkpoint is None or not classes or len(classes) == 80):
        return None
    model.dataset_meta = meta
    return meta


def image_ids_from_gt(ann_file: PathLike) -> Dict[str, int]:
    """Map image names of a COCO-style ground truth (``file_name`` or ``im_name``) to ids.

    Keys are the stems (``frankfurt_000001_016462_leftImg8bit``), so a ``.png`` frame matches a
    ``.jpg`` name of the ground truth (Caltech's json lists ``.jpg``).

    Raises:
        ValueError: The file has no ``images`` list with names and ids.
    """
    with open(ann_file, encoding='utf-8') as f:
        data = json.load(f)
    images = data.get('images') if isinstance(data, dict) else None
    if not isinstance(images, list):
        raise ValueError(f'{ann_file}: no "images" list (a COCO-style ground truth is needed)')
    out = {}
    for i, img in enumerate(images):
        name = img.get('file_name', img.get('im_name'))
        if name is None or 'id' not in img:
            raise ValueError(f'{ann_file}: images[{i}] has no file_name / im_name or id')
        out[Path(name).stem] = img['id']
    return out


def coco_results(pred_instances, image_id, category_id: int = 1) -> List[dict]:
    """COCO result records ``{image_id, category_id, bbox: [x, y, w, h], score}`` of one image.

    Args:
        pred_instances (InstanceData): ``bboxes`` (N, 4) xyxy and ``scores`` (N,).
        image_id: The image id written in every record.
        category_id (int): Category id of pedestrians. Defaults to 1.
    """
    boxes = pred_instances.bboxes.detach().cpu().numpy().astype(np.float64).reshape(-1, 4)
    scores = pred_instances.scores.detach().cpu().numpy().astype(np.float64)
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1).round(2)
    return [dict(image_id=image_id, category_id=category_id, bbox=b, score=round(s, 5))
            for b, s in zip(xywh.tolist(), scores.tolist())]


class PedDetInferencer(DetInferencer):
    """mmdet's ``DetInferencer`` for mmped detectors, with folder / video runs.

    The model is built in the mmped scope (so mmped types resolve without a prefix); when the
    checkpoint (or a missing one) gives no class names, those of the config's dataset are used
    (``('pedestrian', )`` instead of COCO's 80 classes). ``__call__`` is mmdet's;
    :meth:`run` adds folders, videos, the results json and progress bars.

    Args:
        model (str | Config): Config file or object.
        weights (str, optional): Checkpoint; None keeps the initial (random) weights.
        device (str, optional): Device. Defaults to CUDA when available.
        palette (str): Box palette. Defaults to ``'none'``.
    """

    def __init__(self, model, weights: Optional[str] = None, device: Optional[str] = None,
                 palette: str = 'none') -> None:
        from mmped.utils import register_all_modules

        register_all_modules(init_default_scope=False)
        super().__init__(model=model, weights=weights, device=device, scope='mmped',
                         palette=palette, show_progress=False)
        meta = _use_dataset_classes(self.model, self.cfg, weights)
        if meta is not None and self.visualizer is not None:
            self.visualizer.dataset_meta = meta

    def predict_images(self, files: Sequence[PathLike], batch_size: int = 1,
                       show_progress: bool = True) -> list:
        """Predictions (``DetDataSample``) of image files, in order."""
        preds = []
        chunks = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
        for chunk in progress(chunks, len(chunks), 'detect', show_progress):
            out = self([str(p) for p in chunk], batch_size=batch_size, return_datasamples=True,
                       no_save_vis=True, no_save_pred=True)
            preds += out['predictions']
        return preds

    def draw(self, img_rgb: np.ndarray, pred, score_thr: float = 0.3) -> np.ndarray:
        """RGB drawing of a prediction (boxes above ``score_thr``) on an RGB image."""
        vis = self.visualizer
        if hasattr(vis, 'compose'):  # PedLocalVisualizer
            return vis.compose(img_rgb, pred, draw_gt=False, pred_score_thr=score_thr)
        # mmdet's visualizer (a user config): its inferencer instance has no backends
        vis.add_datasample('pred', img_rgb, pred, draw_gt=False, pred_score_thr=score_thr)
        return vis.get_image()

    def run(self, inputs: Union[PathLike, Sequence[PathLike]], out_dir: PathLike,
            pred_score_thr: float = 0.3, batch_size: int = 1, ann_file: Optional[str] = None,
            save_vis: bool = True, show_progress: bool = True) -> Dict[str, object]:
        """Detect pedestrians in an image, a folder, a list of them, or a video.

        Writes ``out_dir/vis/<image name>`` (drawn boxes), ``out_dir/results.bbox.json``
        (COCO results of every box, all scores) and ``out_dir/images.json`` (``[{id,
        file_name}]``); for a video ``out_dir/<video stem>.mp4`` and the results with one
        image id per frame (1-based frame index).

        Args:
            inputs: Image file, folder, list of them, or one video file.
            out_dir: Output folder (not an input folder).
            pred_score_thr (float): Score threshold of the drawn boxes.
            batch_size (int): Images per forward pass.
            ann_file (str, optional): COCO-style ground truth whose image ids the results
                use (matched by file stem), so that ``eval_mr.py ann_file results.bbox.json``
                evaluates them; default ids are 1-based positions.
            save_vis (bool): Write the drawn images / video.
            show_progress (bool): Show a progress bar.

        Returns:
            dict: ``results`` (the COCO records), ``results_file``, ``images`` (id, file_name)
            and ``vis`` (written drawings).

        Raises:
            FileNotFoundError: An input does not exist.
            ValueError: An empty folder, an unreadable video, or an image missing from
                ``ann_file``.
        """
        if isinstance(inputs, (str, Path)) and is_video(inputs):
            return self.run_video(inputs, out_dir, pred_score_thr, save_vis, show_progress)
        files = expand_images(inputs)
        out = check_out_dir(out_dir, files)
        ids = image_ids_from_gt(ann_file) if ann_file else None
        if ids is not None:
            unknown = [str(f) for f in files if f.stem not in ids]
            if unknown:
                raise ValueError(f'{unknown[0]} is not an image of {ann_file} '
                                 f'({len(unknown)} of {len(files)} inputs are not)')
        preds = self.predict_images(files, batch_size, show_progress)
        results, images, vis = [], [], []
        for k, (path, pred) in enumerate(zip(files, preds)):
            img_id = ids[path.stem] if ids is not None else k + 1
            images.append(dict(id=img_id, file_name=str(path)))
            results += coco_results(pred.pred_instances, img_id)
            if save_vis:
                img = np.ascontiguousarray(read_image(path)[..., ::-1])
                target = out / 'vis' / path.name
                mmcv.imwrite(self.draw(img, pred, pred_score_thr)[..., ::-1], str(target))
                vis.append(str(target))
        return self._write(out, results, images, vis)

    def run_video(self, video: PathLike, out_dir: PathLike, pred_score_thr: float = 0.3,
                  save_vis: bool = True, show_progress: bool = True) -> Dict[str, object]:
        """Detect pedestrians in every frame of a video; see :meth:`run`.

        Raises:
            FileNotFoundError: The video does not exist.
            ValueError: It cannot be decoded.
        """
        cap, fps, count = open_video(video)
        out = check_out_dir(out_dir, [video])
        writer, results, images, vis = None, [], [], []
        target = out / f'{Path(video).stem}.mp4'
        try:
            for k, frame in enumerate(progress(iter_video_frames(cap), count or None,
                                               f'detect {Path(video).name}', show_progress)):
                pred = self(frame, return_datasamples=True, no_save_vis=True,
                            no_save_pred=True)['predictions'][0]
                images.append(dict(id=k + 1, file_name=f'{Path(video).name}#{k}'))
                results += coco_results(pred.pred_instances, k + 1)
                if not save_vis:
                    continue
                drawn = self.draw(np.ascontiguousarray(frame[..., ::-1]), pred, pred_score_thr)
                if writer is None:
                    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                             (drawn.shape[1], drawn.shape[0]))
                writer.write(np.ascontiguousarray(drawn[..., ::-1]))
        finally:
            if writer is not None:
                writer.release()
                vis.append(str(target))
        return self._write(out, results, images, vis)

    @staticmethod
    def _write(out: Path, results: list, images: list, vis: list) -> Dict[str, object]:
        results_file = out / 'results.bbox.json'
        write_bytes_atomic(results_file, json.dumps(results).encode())
        write_bytes_atomic(out / 'images.json', json.dumps(images, indent=1).encode())
        return dict(results=results, results_file=str(results_file), images=images, vis=vis)
