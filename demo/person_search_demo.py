# Copyright (c) mmped contributors. All rights reserved.
"""Person search demo: find a query person (image + box) in gallery images and draw the top-k.

Example::

    python demo/person_search_demo.py configs/buff/buff_r50_1xb4-5e_prw.py buff_prw.pth \\
        --query data/PRW/frames/c1s1_001051.jpg --box 1020 410 1140 720 \\
        --gallery data/PRW/frames/c3s1_*.jpg --topk 5 --out-dir demo_out

Writes ``OUT/topk.jpg`` (query crop followed by the k best matches with their cosine
similarity), ``OUT/<gallery image>`` with the matches drawn (green = rank 1, yellow = others)
and ``OUT/topk.json``.
"""
import argparse
import glob
import json
import os
import os.path as osp
from typing import List, Sequence

import cv2
import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate


def build_model(config: str, checkpoint: str, device: str = 'cpu', cfg_options=None):
    """Build a person-search model from a config and checkpoint (``mmdet.apis.init_detector``)."""
    from mmdet.apis import init_detector

    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    return init_detector(config, checkpoint, device=device, cfg_options=cfg_options)


def _pipeline(model) -> Compose:
    """The config's test pipeline without annotation loading (no ground truth at inference)."""
    steps = [dict(s) for s in model.cfg.test_dataloader.dataset.pipeline
             if 'Annotations' not in s['type']]
    return Compose(steps)


@torch.no_grad()
def _run(model, pipeline: Compose, path: str, queries: List[dict]):
    data = pipeline(dict(img_path=path, img_id=0, queries=queries))
    return model.test_step(pseudo_collate([data]))[0]


def search(model, query_img: str, query_box: Sequence[float], gallery: Sequence[str],
           topk: int = 5, score_thr: float = 0.5) -> List[dict]:
    """Rank the gallery detections (score >= ``score_thr``) by cosine similarity to the query.

    Args:
        model: A person-search model (:class:`mmped.models.PersonSearchRCNN`).
        query_img (str): Image holding the query person.
        query_box (Sequence[float]): ``x1, y1, x2, y2`` of the query in that image.
        gallery (Sequence[str]): Gallery image paths.
        topk (int): Matches returned. Defaults to 5.
        score_thr (float): Detection score threshold. Defaults to 0.5.

    Returns:
        list[dict]: ``image``, ``bbox``, ``score`` (detection) and ``similarity``, best first.
    """
    pipeline = _pipeline(model)
    query = dict(bbox=[float(v) for v in query_box], person_id=-1, query_id=0, gallery=None)
    qfeat = _run(model, pipeline, query_img, [query]).query_feats[0].cpu()
    matches = []
    for path in gallery:
        pred = _run(model, pipeline, path, []).pred_instances.cpu()
        keep = pred.scores >= score_thr
        sims = pred.reid_feats[keep] @ qfeat
        for box, score, sim in zip(pred.bboxes[keep], pred.scores[keep], sims):
            matches.append(dict(image=path, bbox=[round(float(v), 1) for v in box],
                                score=float(score), similarity=float(sim)))
    matches.sort(key=lambda m: -m['similarity'])
    return matches[:topk]


def _crop(img: np.ndarray, box: Sequence[float], height: int = 256) -> np.ndarray:
    h, w = img.shape[:2]
    x1, y1 = int(np.clip(box[0], 0, w - 1)), int(np.clip(box[1], 0, h - 1))
    x2, y2 = int(np.clip(box[2], x1 + 1, w)), int(np.clip(box[3], y1 + 1, h))
    crop = img[y1:y2, x1:x2]
    width = max(1, int(round(crop.shape[1] * height / crop.shape[0])))
    return cv2.resize(crop, (width, height))


def draw(query_img: str, query_box: Sequence[float], matches: List[dict], out_dir: str) -> str:
    """Write the top-k strip and the annotated gallery images; returns the strip path."""
    os.makedirs(out_dir, exist_ok=True)
    tiles = [_crop(cv2.imread(query_img), query_box)]
    cv2.putText(tiles[0], 'query', (4, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 0, 0), 2)
    annotated = {}
    for rank, m in enumerate(matches, 1):
        img = annotated.get(m['image'])
        if img is None:
            img = cv2.imread(m['image'])
        tile = _crop(img, m['bbox'])
        cv2.putText(tile, f'{rank}: {m["similarity"]:.2f}', (4, 20), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6, (0, 255, 0) if rank == 1 else (0, 255, 255), 2)
        tiles.append(tile)
        x1, y1, x2, y2 = (int(v) for v in m['bbox'])
        color = (0, 255, 0) if rank == 1 else (0, 255, 255)
        cv2.rectangle(img, (x1, y1), (x2, y2), color, 2)
        cv2.putText(img, f'#{rank} {m["similarity"]:.2f}', (x1, max(12, y1 - 4)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, color, 2)
        annotated[m['image']] = img
    for path, img in annotated.items():
        cv2.imwrite(osp.join(out_dir, osp.basename(path)), img)
    strip = np.concatenate([np.pad(t, ((0, 0), (0, 4), (0, 0))) for t in tiles], axis=1)
    out = osp.join(out_dir, 'topk.jpg')
    cv2.imwrite(out, strip)
    return out


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='person search demo')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--query', required=True, help='image holding the query person')
    parser.add_argument('--box', required=True, nargs=4, type=float,
                        metavar=('X1', 'Y1', 'X2', 'Y2'), help='query box in that image')
    parser.add_argument('--gallery', required=True, nargs='+',
                        help='gallery images, folders or glob patterns')
    parser.add_argument('--topk', type=int, default=5)
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out-dir', default='person_search_demo')
    return parser.parse_args(argv)


def _expand(items: Sequence[str]) -> List[str]:
    out = []
    for item in items:
        if osp.isdir(item):
            out += sorted(glob.glob(osp.join(item, '*.jpg')) + glob.glob(osp.join(item, '*.png')))
        else:
            out += sorted(glob.glob(item)) or [item]
    return [p for p in out if osp.isfile(p)]


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    gallery = _expand(args.gallery)
    if not gallery:
        raise SystemExit(f'no gallery image found in {args.gallery}')
    model = build_model(args.config, args.checkpoint, args.device)
    matches = search(model, args.query, args.box, gallery, args.topk, args.score_thr)
    strip = draw(args.query, args.box, matches, args.out_dir)
    with open(osp.join(args.out_dir, 'topk.json'), 'w') as f:
        json.dump(matches, f, indent=1)
    print(f'{len(matches)} matches drawn in {strip}')
    return matches


if __name__ == '__main__':
    main()
