# Copyright (c) mmped contributors. All rights reserved.
"""Person search: find a query person (image + box) in a folder of frames.

The gallery index (every detected person's box, score and re-ID feature) is built once per
model and frame folder and cached on disk; later searches with other queries reuse it. The
query's own frame is left out of the ranking.
"""
import hashlib
import io
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate
from torch import nn

from mmped.utils.fileio import write_bytes_atomic

from .det_inferencer import init_ped_detector
from .inputs import PathLike, expand_images, progress, read_image

__all__ = [
    'init_person_search', 'query_feature', 'GalleryIndex', 'build_gallery_index',
    'search_person', 'draw_topk_strip'
]


def init_person_search(config, checkpoint: Optional[str] = None, device: str = 'cpu',
                       cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a person-search model (baseline / BUFF) for inference (:func:`init_ped_detector`)."""
    return init_ped_detector(config, checkpoint, device, cfg_options)


def _pipeline(model: nn.Module) -> Compose:
    """The config's test pipeline without annotation loading."""
    from mmengine.registry import DefaultScope

    steps = [dict(s) for s in model.cfg.test_dataloader.dataset.pipeline
             if 'Annotations' not in s['type']]
    with DefaultScope.overwrite_default_scope('mmped'):
        return Compose(steps)


@torch.no_grad()
def _predict(model: nn.Module, pipeline: Compose, path: PathLike, queries: List[dict]):
    if not Path(path).is_file():
        raise FileNotFoundError(f'image {path} does not exist')
    data = pipeline(dict(img_path=str(path), img_id=0, queries=queries))
    return model.test_step(pseudo_collate([data]))[0]


def query_feature(model: nn.Module, img: PathLike, box: Sequence[float]) -> np.ndarray:
    """Re-ID feature (D,) of the person in ``box`` (x1, y1, x2, y2 image pixels) of ``img``.

    Raises:
        ValueError: The box is not a positive-area box inside the image.
    """
    box = [float(v) for v in box]
    h, w = read_image(img).shape[:2]
    if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1] or box[2] <= 0 or box[3] <= 0 \
            or box[0] >= w or box[1] >= h:
        raise ValueError(f'query box {box} is not an x1 y1 x2 y2 box inside the {w}x{h} '
                         f'image {img}')
    query = dict(bbox=box, person_id=-1, query_id=0, gallery=None)
    pred = _predict(model, _pipeline(model), img, [query])
    return pred.query_feats[0].cpu().float().numpy()


class GalleryIndex:
    """Detections of a frame folder: ``files`` (F paths), ``frame`` (M,) frame index of each
    detection, ``boxes`` (M, 4) xyxy, ``scores`` (M,), ``feats`` (M, D)."""

    def __init__(self, files: List[str], frame: np.ndarray, boxes: np.ndarray,
                 scores: np.ndarray, feats: np.ndarray, cache_file: Optional[str] = None,
                 from_cache: bool = False) -> None:
        self.files, self.frame, self.boxes = files, frame, boxes
        self.scores, self.feats = scores, feats
        self.cache_file, self.from_cache = cache_file, from_cache

    def __len__(self) -> int:
        return len(self.frame)


def _fingerprint(model: nn.Module, files: Sequence[Path], score_thr: float) -> str:
    """Key of a gallery index: the model's weights and config, the frames (path, size,
    modification time) and the score threshold."""
    h = hashlib.sha1()
    for t in model.state_dict().values():
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    h.update(model.cfg.pretty_text.encode())
    for f in files:
        st = f.stat()
        h.update(f'{f.resolve()}|{st.st_size}|{st.st_mtime_ns}'.encode())
    h.update(f'{score_thr:.6f}'.encode())
    return h.hexdigest()[:16]


def build_gallery_index(model: nn.Module, gallery: Union[PathLike, Sequence[PathLike]],
                        cache_dir: Optional[PathLike] = None, score_thr: float = 0.5,
                        show_progress: bool = True) -> GalleryIndex:
    """Detect and embed the people of every gallery frame, or load the cached index.

    The cache is ``cache_dir/gallery_<key>.npz`` where the key covers the model weights and
    config, the frames and ``score_thr``: changing any of them builds a new index.

    Args:
        model (nn.Module): From :func:`init_person_search`.
        gallery: A folder of frames, a frame, or a list of them.
        cache_dir (str, optional): Cache folder (None: no cache).
        score_thr (float): Detections below it are not indexed. Defaults to 0.5.
        show_progress (bool): Show a progress bar while indexing.

    Returns:
        GalleryIndex: ``from_cache`` tells whether it was loaded.

    Raises:
        FileNotFoundError: A frame / the folder does not exist.
        ValueError: The folder holds no image.
    """
    files = expand_images(gallery)
    cache_file = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f'gallery_{_fingerprint(model, files, score_thr)}.npz'
        if cache_file.is_file():
            with np.load(cache_file, allow_pickle=False) as z:
                return GalleryIndex(json.loads(str(z['files'])), z['frame'], z['boxes'],
                                    z['scores'], z['feats'], str(cache_file), True)
    pipeline = _pipeline(model)
    frame, boxes, scores, feats = [], [], [], []
    for k, f in enumerate(progress(files, len(files), 'index gallery', show_progress)):
        pred = _predict(model, pipeline, f, []).pred_instances.cpu()
        keep = pred.scores >= score_thr
        frame.append(np.full(int(keep.sum()), k, dtype=np.int64))
        boxes.append(pred.bboxes[keep].float().numpy())
        scores.append(pred.scores[keep].float().numpy())
        feats.append(pred.reid_feats[keep].float().numpy())
    index = GalleryIndex([str(f) for f in files], np.concatenate(frame),
                         np.concatenate(boxes).reshape(-1, 4), np.concatenate(scores),
                         np.concatenate(feats), None if cache_file is None else str(cache_file))
    if cache_file is not None:
        buf = io.BytesIO()
        np.savez(buf, files=json.dumps(index.files), frame=index.frame, boxes=index.boxes,
                 scores=index.scores, feats=index.feats)
        write_bytes_atomic(cache_file, buf.getvalue())
    return index


def search_person(model: nn.Module, query_img: PathLike, query_box: Sequence[float],
                  gallery: Union[PathLike, Sequence[PathLike], GalleryIndex], topk: int = 5,
                  cache_dir: Optional[PathLike] = None, score_thr: float = 0.5,
                  show_progress: bool = True) -> List[Dict]:
    """Rank the gallery's people by cosine similarity to the query, its own frame excluded.

    Args:
        model (nn.Module): From :func:`init_person_search`.
        query_img: Frame holding the query person.
        query_box (Sequence[float]): ``x1, y1, x2, y2`` of the query in that frame.
        gallery: Frame folder / frames, or a :class:`GalleryIndex`.
        topk (int): Matches returned. Defaults to 5.
        cache_dir (str, optional): Gallery index cache (see :func:`build_gallery_index`).
        score_thr (float): Detection score threshold of the index.
        show_progress (bool): Progress bar while indexing.

    Returns:
        list[dict]: Best first: ``image``, ``bbox`` (xyxy), ``score`` (detection) and
        ``similarity``.
    """
    index = gallery if isinstance(gallery, GalleryIndex) else build_gallery_index(
        model, gallery, cache_dir, score_thr, show_progress)
    q = query_feature(model, query_img, query_box)
    own = Path(query_img).resolve()
    excluded = np.array([Path(f).resolve() == own for f in index.files], dtype=bool)
    keep = ~excluded[index.frame] if len(index) else np.zeros(0, dtype=bool)
    sims = index.feats[keep] @ q / max(float(np.linalg.norm(q)), 1e-12) / np.maximum(
        np.linalg.norm(index.feats[keep], axis=1), 1e-12)
    order = np.argsort(-sims, kind='stable')[:topk]
    rows = np.flatnonzero(keep)[order]
    return [dict(image=index.files[index.frame[r]],
                 bbox=index.boxes[r].astype(np.float64).round(1).tolist(),
                 score=float(index.scores[r]), similarity=float(s))
            for r, s in zip(rows, sims[order])]


def _crop(img: np.ndarray, box: Sequence[float], height: int) -> np.ndarray:
    h, w = img.shape[:2]
    x1, y1 = int(np.clip(box[0], 0, w - 1)), int(np.clip(box[1], 0, h - 1))
    x2, y2 = int(np.clip(box[2], x1 + 1, w)), int(np.clip(box[3], y1 + 1, h))
    crop = img[y1:y2, x1:x2]
    width = max(1, int(round(crop.shape[1] * height / crop.shape[0])))
    return cv2.resize(crop, (width, height))


def draw_topk_strip(query_img: PathLike, query_box: Sequence[float], matches: List[Dict],
                    out_file: PathLike, height: int = 256) -> str:
    """Write a strip: the query crop, then the matches in rank order with their similarity
    (rank 1 in green, others in yellow). Returns the written path (BGR image of ``height``)."""
    tiles = [_crop(read_image(query_img), query_box, height)]
    cv2.putText(tiles[0], 'query', (4, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 0, 0), 2)
    frames: Dict[str, np.ndarray] = {}
    for rank, m in enumerate(matches, 1):
        img = frames.setdefault(m['image'], read_image(m['image']))
        tile = _crop(img, m['bbox'], height)
        cv2.putText(tile, f'{rank}: {m["similarity"]:.2f}', (4, 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, (0, 255, 0) if rank == 1 else (0, 255, 255), 2)
        tiles.append(tile)
    strip = np.concatenate([np.pad(t, ((0, 0), (0, 4), (0, 0))) for t in tiles], axis=1)
    ok, buf = cv2.imencode(Path(out_file).suffix or '.jpg', strip)
    if not ok:
        raise ValueError(f'cannot encode {out_file}')
    write_bytes_atomic(out_file, buf.tobytes())
    return str(out_file)
