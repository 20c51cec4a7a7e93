# Copyright (c) mmped contributors. All rights reserved.
"""Pedestrian attributes of the boxes of a full image (given or detected) and of a folder of
person crops, with the attribute names of the checkpoint's dataset."""
import json
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np
from torch import nn

from mmped.utils.fileio import write_bytes_atomic

from .attribute_reid import inference_attributes
from .inputs import PathLike, list_images, progress, read_image

__all__ = ['attribute_names', 'crop_boxes', 'inference_attributes_on_image',
           'inference_attribute_folder']


def attribute_names(model: nn.Module) -> List[str]:
    """Attribute names of a model from :func:`init_ped_classifier`: the checkpoint's
    ``dataset_meta['classes']`` (mmengine saves the training set's meta there).

    Raises:
        ValueError: The model has no names (no checkpoint, or one saved without meta).
    """
    names = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    if not names:
        raise ValueError('the model has no attribute names: load a checkpoint saved by '
                         'mmped training (its meta holds dataset_meta.classes)')
    return list(names)


def crop_boxes(img: np.ndarray, boxes: np.ndarray) -> List[np.ndarray]:
    """Cut xyxy ``boxes`` (N, 4), clipped to the image, out of ``img`` (H, W, 3).

    Raises:
        ValueError: A box has no area inside the image (its index and value are given).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    h, w = img.shape[:2]
    xyxy = np.round(boxes).astype(int)
    xyxy[:, 0::2] = xyxy[:, 0::2].clip(0, w)
    xyxy[:, 1::2] = xyxy[:, 1::2].clip(0, h)
    empty = np.flatnonzero((xyxy[:, 2] <= xyxy[:, 0]) | (xyxy[:, 3] <= xyxy[:, 1]))
    if len(empty):
        raise ValueError(f'box {int(empty[0])} {boxes[empty[0]].tolist()} lies outside the '
                         f'{w}x{h} image')
    return [np.ascontiguousarray(img[y1:y2, x1:x2]) for x1, y1, x2, y2 in xyxy]


def _named(results: List[Dict], names: List[str], threshold: float) -> List[Dict]:
    for r in results:
        if len(r['scores']) != len(names):
            raise ValueError(f'the model predicts {len(r["scores"])} attributes but its meta '
                             f'names {len(names)}')
        r['names'] = names
        r['present'] = [n for n, s in zip(names, r['scores']) if s > threshold]
    return results


def inference_attributes_on_image(model: nn.Module, img: Union[PathLike, np.ndarray],
                                  boxes: Optional[np.ndarray] = None,
                                  detector=None, det_score_thr: float = 0.5,
                                  threshold: float = 0.5, batch_size: int = 16) -> List[Dict]:
    """Attributes of the people of a full image.

    Args:
        model (nn.Module): Attribute model (:func:`init_ped_classifier` with a checkpoint).
        img (str | np.ndarray): Image path or BGR array (H, W, 3).
        boxes (np.ndarray, optional): Person boxes (N, 4) xyxy in image pixels.
        detector (PedDetInferencer, optional): Detects the boxes when ``boxes`` is None.
        det_score_thr (float): Detection score threshold. Defaults to 0.5.
        threshold (float): Attribute probability above which it is reported present.
        batch_size (int): Crops per forward pass.

    Returns:
        list[dict]: Per box ``bbox`` (4 floats), ``det_score`` (None for given boxes),
        ``scores`` (A,), ``names`` (A names) and ``present``.

    Raises:
        ValueError: Neither boxes nor a detector; a box outside the image; no names.
    """
    names = attribute_names(model)
    image = read_image(img) if isinstance(img, (str, Path)) else img
    det_scores = None
    if boxes is None:
        if detector is None:
            raise ValueError('give boxes or a detector to find the people')
        pred = detector(image, return_datasamples=True, no_save_vis=True,
                        no_save_pred=True)['predictions'][0].pred_instances
        keep = pred.scores >= det_score_thr
        boxes = pred.bboxes[keep].cpu().numpy()
        det_scores = pred.scores[keep].cpu().numpy()
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not len(boxes):
        return []
    results = _named(inference_attributes(model, crop_boxes(image, boxes), threshold,
                                          batch_size), names, threshold)
    for k, r in enumerate(results):
        r['bbox'] = boxes[k].tolist()
        r['det_score'] = None if det_scores is None else float(det_scores[k])
    return results


def inference_attribute_folder(model: nn.Module, folder: PathLike, out_file: PathLike,
                               threshold: float = 0.5, batch_size: int = 16,
                               show_progress: bool = True) -> List[Dict]:
    """Attributes of every person crop of a folder, written to a json file.

    ``out_file`` holds ``{"attributes": names, "threshold": t, "results": [{"file",
    "scores": {name: p}, "present": [...]}]}``.

    Raises:
        FileNotFoundError: The folder does not exist.
        ValueError: It holds no image; the model has no names.
    """
    names = attribute_names(model)
    files = list_images(folder)
    if Path(out_file).resolve() in {f.resolve() for f in files}:
        raise ValueError(f'output file {out_file} is one of the input crops')
    rows: List[Dict] = []
    chunks = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    for chunk in progress(chunks, len(chunks), 'attributes', show_progress):
        res = _named(inference_attributes(model, [str(f) for f in chunk], threshold,
                                          batch_size), names, threshold)
        rows += [dict(file=str(f), scores=dict(zip(names, np.round(r['scores'], 5).tolist())),
                      present=r['present']) for f, r in zip(chunk, res)]
    write_bytes_atomic(out_file, json.dumps(dict(attributes=names, threshold=threshold,
                                                 results=rows), indent=1).encode())
    return rows

