# Copyright (c) mmped contributors. All rights reserved.
"""Heat-map overlays of attention / mask tensors on an image (pure numpy + OpenCV)."""
from typing import Dict, Optional, Sequence, Union

import cv2
import numpy as np
import torch

__all__ = [
    'normalize_maps', 'overlay_heatmaps', 'tile_images', 'label_image', 'pair_side_by_side',
    'overlay_map_groups'
]

ArrayLike = Union[np.ndarray, torch.Tensor]


def _as_numpy(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


def normalize_maps(maps: ArrayLike, already_prob: bool = False) -> np.ndarray:
    """Scale every map to [0, 1].

    Args:
        maps (np.ndarray | Tensor): (K, h, w) or (h, w) maps.
        already_prob (bool): Values are probabilities: clip to [0, 1] instead of min-max
            scaling each map (keeps absolute levels comparable between maps).

    Returns:
        np.ndarray: (K, h, w) float32 in [0, 1]; a constant map becomes all zeros.
    """
    m = _as_numpy(maps)
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError(f'expected (K, h, w) or (h, w) maps, got shape {m.shape}')
    if already_prob:
        return np.clip(m, 0.0, 1.0)
    lo = m.min(axis=(1, 2), keepdims=True)
    span = m.max(axis=(1, 2), keepdims=True) - lo
    return np.where(span > 0, (m - lo) / np.maximum(span, 1e-12), 0.0).astype(np.float32)


def label_image(img: np.ndarray, text: str, color=(255, 255, 255)) -> np.ndarray:
    """A copy of ``img`` (H, W, 3) with ``text`` written on a dark band at the top."""
    out = img.copy()
    scale = max(0.35, min(out.shape[1] / 320.0, 1.0) * 0.5)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    band = th + base + 4
    out[:band, :min(out.shape[1], tw + 6)] //= 3
    cv2.putText(out, text, (3, th + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)
    return out


def overlay_heatmaps(image: np.ndarray, maps: ArrayLike, alpha: float = 0.5,
                     titles: Optional[Sequence[str]] = None,
                     already_prob: bool = False) -> np.ndarray:
    """Blend each map, resized to the image and coloured with the JET map, over the image.

    Args:
        image (np.ndarray): RGB image (H, W, 3) uint8.
        maps (np.ndarray | Tensor): (K, h, w) or (h, w) maps of any resolution.
        alpha (float): Weight of the heat map. Defaults to 0.5.
        titles (Sequence[str], optional): One label per map.
        already_prob (bool): See :func:`normalize_maps`.

    Returns:
        np.ndarray: (K, H, W, 3) uint8 RGB overlays.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'expected an RGB image (H, W, 3), got shape {image.shape}')
    m = normalize_maps(maps, already_prob)
    h, w = image.shape[:2]
    resized = np.stack([cv2.resize(x, (w, h), interpolation=cv2.INTER_LINEAR) for x in m])
    heat = cv2.applyColorMap((resized.reshape(-1, w) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    heat = heat.reshape(len(m), h, w, 3)[..., ::-1]  # BGR -> RGB
    out = (image[None].astype(np.float32) * (1 - alpha) + heat * alpha).round()
    out = out.clip(0, 255).astype(np.uint8)
    if titles is not None:
        if len(titles) != len(out):
            raise ValueError(f'{len(titles)} titles for {len(out)} maps')
        out = np.stack([label_image(o, t) for o, t in zip(out, titles)])
    return out


def tile_images(images: Sequence[np.ndarray], ncols: Optional[int] = None,
                pad: int = 2) -> np.ndarray:
    """Arrange images (each (H_i, W_i, 3)) in a grid of ``ncols`` columns (default: one row).

    Cells take the size of the largest image; smaller ones are padded with black.
    """
    if len(images) == 0:
        raise ValueError('no images to tile')
    ncols = len(images) if ncols is None else max(1, min(ncols, len(images)))
    nrows = -(-len(images) // ncols)
    ch = max(i.shape[0] for i in images) + pad
    cw = max(i.shape[1] for i in images) + pad
    grid = np.zeros((nrows * ch, ncols * cw, 3), dtype=np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, ncols)
        grid[r * ch:r * ch + img.shape[0], c * cw:c * cw + img.shape[1]] = img
    return grid


def pair_side_by_side(image: np.ndarray, modality_channels: Sequence[int] = (3, 3)
                      ) -> np.ndarray:
    """Split a stacked RGB-T image (H, W, 3 + C) into its modalities and put them side by side.

    Args:
        image (np.ndarray): (H, W, sum(modality_channels)) uint8; 1-channel modalities are
            shown in gray.
        modality_channels (Sequence[int]): Channels of each modality.

    Returns:
        np.ndarray: (H, W * M, 3) uint8.
    """
    if image.shape[2] != sum(modality_channels):
        raise ValueError(f'image with {image.shape[2]} channels does not hold modalities of '
                         f'{tuple(modality_channels)} channels')
    parts, start = [], 0
    for c in modality_channels:
        part = image[..., start:start + c]
        parts.append(np.repeat(part, 3, axis=2) if c == 1 else part)
        start += c
    return np.concatenate(parts, axis=1)


def overlay_map_groups(image: np.ndarray, groups: Dict[str, ArrayLike],
                       max_maps: int = 8, alpha: float = 0.5) -> np.ndarray:
    """One row per named group of maps: the image, then up to ``max_maps`` overlays.

    Args:
        image (np.ndarray): RGB image (H, W, 3) uint8.
        groups (dict[str, np.ndarray | Tensor]): Name -> (K, h, w) maps; values in [0, 1]
            are drawn as probabilities, others min-max scaled per map.
        max_maps (int): Maps drawn per group.
        alpha (float): Heat-map weight.

    Returns:
        np.ndarray: The grid image (rows * H, (1 + max K) * W, 3) uint8.
    """
    rows = []
    for name, maps in groups.items():
        m = _as_numpy(maps)
        m = m[None] if m.ndim == 2 else m
        m = m[:max_maps]
        prob = bool(m.size) and float(m.min()) >= 0.0 and float(m.max()) <= 1.0
        titles = [f'{name}[{k}]' if len(m) > 1 else name for k in range(len(m))]
        rows.append([label_image(image, name)] + list(
            overlay_heatmaps(image, m, alpha, titles, already_prob=prob)))
    if not rows:
        raise ValueError('no attention maps to draw')
    ncols = max(len(r) for r in rows)
    cells = []
    blank = np.zeros_like(image)
    for r in rows:
        cells += r + [blank] * (ncols - len(r))
    return tile_images(cells, ncols)
