# Copyright (c) mmped contributors. All rights reserved.
"""Visible + thermal (RGB-T) pedestrian detection with the teacher's (DCRL) or the RGB-only
student's (DCRD) own test pipeline: a pair of paths, a pair of arrays, or two folders."""
import copy
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from torch import nn

from mmped.utils.fileio import write_bytes_atomic

from .det_inferencer import coco_results, init_ped_detector
from .inputs import PathLike, check_out_dir, list_images, pair_folders, progress, read_image

__all__ = [
    'init_rgbt_detector', 'is_paired_model', 'inference_rgbt', 'inference_rgbt_folders',
    'inference_rgbt_pairs'
]

ImageLike = Union[str, Path, np.ndarray]
_PAIRED_LOADERS = ('LoadPairedImageFromFile', 'mmped.LoadPairedImageFromFile')
_LOADERS = _PAIRED_LOADERS + ('LoadImageFromFile', 'mmdet.LoadImageFromFile')


def init_rgbt_detector(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                       device: str = 'cpu', cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a DCRL teacher / DCRD student for inference (:func:`init_ped_detector`)."""
    return init_ped_detector(config, checkpoint, device, cfg_options)


def _test_pipeline_cfg(model: nn.Module) -> List[dict]:
    steps = [copy.deepcopy(dict(t)) for t in model.cfg.test_dataloader.dataset.pipeline]
    steps = [t for t in steps if 'LoadAnnotations' not in t['type']]
    if not steps or steps[0]['type'] not in _LOADERS:
        raise ValueError('the test pipeline must start with LoadPairedImageFromFile or '
                         f'LoadImageFromFile, got {steps[0]["type"] if steps else "nothing"}')
    return steps


def is_paired_model(model: nn.Module) -> bool:
    """Whether the model's test pipeline loads a visible + thermal pair (the teacher)."""
    return _test_pipeline_cfg(model)[0]['type'] in _PAIRED_LOADERS


def _pipelines(model: nn.Module) -> Dict[bool, Compose]:
    """The test pipeline for file inputs (False) and for arrays (True)."""
    from mmped.registry import TRANSFORMS

    steps = _test_pipeline_cfg(model)
    array_steps = copy.deepcopy(steps)
    loader = array_steps[0]
    if loader['type'] in _PAIRED_LOADERS:
        loader['type'] = 'mmped.LoadPairedImageFromNDArray'
    else:
        array_steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmped'):
        return {False: Compose([TRANSFORMS.build(t) for t in steps]),
                True: Compose([TRANSFORMS.build(t) for t in array_steps])}


def _sample(visible: ImageLike, lwir: Optional[ImageLike], paired: bool, idx: int) -> Tuple:
    arrays = isinstance(visible, np.ndarray)
    if paired and lwir is None:
        raise ValueError(f'the RGB-T model needs the thermal partner of {_name(visible)}; '
                         'give lwir (a path or an array)')
    if paired and isinstance(lwir, np.ndarray) != arrays:
        raise TypeError('give the visible and thermal images both as paths or both as arrays')
    if arrays:
        data = dict(img=visible, img_id=idx)
        if paired:
            data['lwir_img'] = lwir
        return True, data
    data = dict(img_path=str(visible), img_id=idx)
    if paired:
        data['lwir_path'] = str(lwir)
    if not Path(visible).is_file():
        raise FileNotFoundError(f'visible image {visible} does not exist')
    if paired and not Path(lwir).is_file():
        raise FileNotFoundError(f'missing partner image: thermal image {lwir} of {visible} '
                                'does not exist')
    return False, data


def _name(x: ImageLike) -> str:
    return 'the visible array' if isinstance(x, np.ndarray) else str(x)


@torch.no_grad()
def inference_rgbt(model: nn.Module, visible: Union[ImageLike, Sequence[ImageLike]],
                   lwir: Union[None, ImageLike, Sequence[ImageLike]] = None,
                   batch_size: int = 1) -> list:
    """Detect pedestrians in visible + thermal pairs (teacher) or visible images (student).

    Args:
        model (nn.Module): From :func:`init_rgbt_detector`.
        visible: A visible image (path or BGR array (H, W, 3)) or a list of them.
        lwir: The thermal partner(s) (path or array (H, W) / (H, W, 1|3)); needed by a
            paired model, ignored by an RGB-only one.
        batch_size (int): Pairs per forward pass.

    Returns:
        DetDataSample | list[DetDataSample]: One per input (a single one for a single input),
        boxes in the original image coordinates.

    Raises:
        FileNotFoundError: An image (or a thermal partner) does not exist.
        ValueError: A paired model got no thermal image, or the pair sizes differ.
    """
    single = isinstance(visible, (str, Path, np.ndarray))
    vis_list = [visible] if single else list(visible)
    paired = is_paired_model(model)
    if lwir is None:
        lwir_list = [None] * len(vis_list)
    else:
        lwir_list = [lwir] if single else list(lwir)
    if len(lwir_list) != len(vis_list):
        raise ValueError(f'{len(vis_list)} visible images but {len(lwir_list)} thermal ones')
    pipes = _pipelines(model)
    outputs = []
    for b0 in range(0, len(vis_list), batch_size):
        batch = []
        for k in range(b0, min(b0 + batch_size, len(vis_list))):
            from_array, data = _sample(vis_list[k], lwir_list[k], paired, k)
            batch.append(pipes[from_array](data))
        outputs += model.test_step(pseudo_collate(batch))
    return outputs[0] if single else outputs


def inference_rgbt_folders(model: nn.Module, visible_dir: PathLike,
                           lwir_dir: Optional[PathLike], out_dir: PathLike,
                           pred_score_thr: float = 0.3, save_vis: bool = True,
                           show_progress: bool = True) -> Dict[str, object]:
    """Detect pedestrians in two folders of images matched by name (KAIST ``visible/`` and
    ``lwir/``; modality tags such as ``_visible`` / ``_lwir`` are ignored).

    Writes ``out_dir/vis/<name>.jpg`` (visible | thermal side by side with the boxes on both;
    visible only for an RGB-only model without ``lwir_dir``), ``out_dir/results.bbox.json``
    (COCO results, image ids = 1-based pair positions) and ``out_dir/images.json``
    (``[{id, file_name, lwir_name}]``).

    Raises:
        FileNotFoundError: A folder is missing or an image has no partner (named).
        ValueError: A folder is empty; a paired model without ``lwir_dir``.
    """
    if lwir_dir is None:
        if is_paired_model(model):
            raise ValueError(f'the RGB-T model needs the thermal folder matching {visible_dir}')
        pairs = [(p, None) for p in list_images(visible_dir)]
    else:
        pairs = pair_folders(visible_dir, lwir_dir)
    return inference_rgbt_pairs(model, pairs, out_dir, pred_score_thr, save_vis, show_progress)


def inference_rgbt_pairs(model: nn.Module, pairs: Sequence[Tuple[PathLike, Optional[PathLike]]],
                         out_dir: PathLike, pred_score_thr: float = 0.3, save_vis: bool = True,
                         show_progress: bool = True) -> Dict[str, object]:
    """Detect pedestrians in ``(visible, lwir)`` path pairs (lwir None for an RGB-only model)
    and write the outputs described in :func:`inference_rgbt_folders`.

    Raises:
        FileNotFoundError: An image or its partner does not exist (named).
    """
    from mmped.visualization import PedLocalVisualizer

    if not pairs:
        raise ValueError('no image pair given')
    pairs = [(Path(v), None if t is None else Path(t)) for v, t in pairs]
    paired = is_paired_model(model)
    out = check_out_dir(out_dir, [p for pair in pairs for p in pair if p is not None])
    vis = PedLocalVisualizer.get_instance('mmped_rgbt_inference')
    results, images, drawings = [], [], []
    for k, (v, t) in enumerate(progress(pairs, len(pairs), 'detect RGB-T', show_progress)):
        pred = inference_rgbt(model, v, t if paired or t is None else None)
        images.append(dict(id=k + 1, file_name=str(v), lwir_name=str(t) if t else None))
        results += coco_results(pred.pred_instances, k + 1)
        if not save_vis:
            continue
        img = read_image(v, 'rgb')
        if t is not None:
            lwir = read_image(t, 'rgb')
            img = np.concatenate([img, lwir], axis=2)
        drawn = vis.compose(img, pred, draw_gt=False, pred_score_thr=pred_score_thr)
        target = out / 'vis' / f'{v.stem}.jpg'
        mmcv.imwrite(drawn[..., ::-1], str(target))
        drawings.append(str(target))
    write_bytes_atomic(out / 'results.bbox.json', json.dumps(results).encode())
    write_bytes_atomic(out / 'images.json', json.dumps(images, indent=1).encode())
    return dict(results=results, results_file=str(out / 'results.bbox.json'), images=images,
                vis=drawings)
