# Copyright (c) mmped contributors. All rights reserved.
"""Inference helpers for attribute recognition on person crops and re-ID gallery search."""
import copy
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.runner import load_checkpoint

from mmped.evaluation.functional.reid import compute_distance
from mmped.registry import MODELS, TRANSFORMS

__all__ = [
    'init_ped_classifier', 'inference_attributes', 'extract_reid_features', 'search_gallery'
]

ImageInput = Union[str, Path, np.ndarray]
_CROP_TRANSFORMS = ('CropPersonBox', 'mmped.CropPersonBox')


def init_ped_classifier(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                        device: str = 'cpu', cfg_options: Optional[dict] = None) -> nn.Module:
    """Build an attribute / re-ID classifier from a config and load its weights.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint path; None keeps the initial weights.
        device (str): Device. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``model.cfg`` and ``model.dataset_meta``
        (``classes`` = attribute names when the checkpoint stores them).
    """
    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    cfg = config if isinstance(config, Config) else Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_cfg = copy.deepcopy(cfg.model)
    if 'data_preprocessor' not in model_cfg and cfg.get('data_preprocessor'):
        model_cfg['data_preprocessor'] = copy.deepcopy(cfg.data_preprocessor)
    backbone_init = model_cfg.get('backbone', {}).get('init_cfg')
    if checkpoint is not None and backbone_init:
        model_cfg['backbone']['init_cfg'] = None  # weights come from the checkpoint
    model = MODELS.build(model_cfg)
    model.dataset_meta = {}
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, map_location='cpu')
        model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta', {}) or {}
    model.cfg = cfg
    return model.to(device).eval()


def _test_pipeline(model: nn.Module, from_array: bool) -> Compose:
    pipeline = copy.deepcopy(model.cfg.test_dataloader.dataset.pipeline)
    # inputs are person crops already; arrays skip the file loading
    pipeline = [t for t in pipeline if t['type'] not in _CROP_TRANSFORMS]
    if from_array and pipeline and 'LoadImage' in pipeline[0]['type']:
        pipeline = pipeline[1:]
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def _run(model: nn.Module, imgs: Sequence[ImageInput], batch_size: int) -> list:
    if isinstance(imgs, (str, Path, np.ndarray)):
        imgs = [imgs]
    from_array = [isinstance(i, np.ndarray) for i in imgs]
    pipes = {flag: _test_pipeline(model, flag) for flag in set(from_array)}
    outputs = []
    for b0 in range(0, len(imgs), batch_size):
        batch = []
        for img, flag in zip(imgs[b0:b0 + batch_size], from_array[b0:b0 + batch_size]):
            if flag:
                data = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
            else:
                data = dict(img_path=str(img))
            batch.append(pipes[flag](data))
        with torch.no_grad():
            outputs += model.test_step(pseudo_collate(batch))
    return outputs


def inference_attributes(model: nn.Module, imgs: Union[ImageInput, Sequence[ImageInput]],
                         threshold: float = 0.5, batch_size: int = 16) -> List[Dict]:
    """Attribute probabilities of person crops.

    Args:
        model (nn.Module): From :func:`init_ped_classifier` (an attribute model).
        imgs (str | np.ndarray | list): Crop paths or BGR arrays (H, W, 3).
        threshold (float): Probability above which an attribute is reported present.
        batch_size (int): Crops per forward pass.

    Returns:
        list[dict]: Per crop: ``scores`` (np.ndarray (A,)), ``names`` (A attribute names:
        ``model.dataset_meta['classes']`` or ``attr<i>``) and ``present`` (names with score >
        threshold).
    """
    outputs = _run(model, imgs, batch_size)
    results = []
    for out in outputs:
        scores = out.pred_score.cpu().numpy()
        names = list((getattr(model, 'dataset_meta', None) or {}).get('classes') or
                     [f'attr{i}' for i in range(len(scores))])
        results.append(dict(scores=scores, names=names,
                            present=[n for n, s in zip(names, scores) if s > threshold]))
    return results


def extract_reid_features(model: nn.Module, imgs: Sequence[ImageInput],
                          batch_size: int = 32) -> np.ndarray:
    """Re-ID embeddings (``pred_feature``) of person crops, shape (N, D)."""
    outputs = _run(model, imgs, batch_size)
    return np.stack([o.pred_feature.cpu().float().numpy() for o in outputs])


def search_gallery(model: nn.Module,
                   query: Sequence[ImageInput],
                   gallery: Union[Sequence[ImageInput], np.ndarray],
                   topk: int = 10,
                   metric: str = 'euclidean',
                   batch_size: int = 32) -> List[List[Dict]]:
    """Rank gallery crops for every query crop.

    Args:
        model (nn.Module): A re-ID model from :func:`init_ped_classifier`.
        query (list): Query crops (paths or BGR arrays).
        gallery (list | np.ndarray): Gallery crops, or precomputed gallery features (G, D)
            from :func:`extract_reid_features` (a 2-D float array).
        topk (int): Items returned per query.
        metric (str): ``'euclidean'`` or ``'cosine'``.
        batch_size (int): Crops per forward pass.

    Returns:
        list[list[dict]]: Per query, the ``topk`` closest gallery items in order, each
        ``dict(index, distance, item)`` (``item`` = the gallery entry, None for features).
    """
    q_feat = extract_reid_features(model, query, batch_size)
    is_feat = isinstance(gallery, np.ndarray) and gallery.ndim == 2
    g_feat = gallery if is_feat else extract_reid_features(model, gallery, batch_size)
    dist = compute_distance(q_feat, g_feat, metric)
    k = min(topk, dist.shape[1])
    order = np.argsort(dist, axis=1, kind='stable')[:, :k]
    return [[dict(index=int(j), distance=float(dist[i, j]),
                  item=None if is_feat else gallery[j]) for j in row]
            for i, row in enumerate(order)]
