# Copyright (c) mmped contributors. All rights reserved.
"""Build the background-influence variants of a person-search test set (BUFF, sec. 3.1).

Foreground = the pixels inside any annotated box, background = everything else.

* ``MB``: background set to the ImageNet mean, foreground kept;
* ``MF``: foreground set to the ImageNet mean, background kept;
* ``RF``: every foreground pixel replaced by a pixel drawn at random from the same image;
* ``RB`` (PRW, ``--dataset prw``): the boxes pasted at their own location into a pedestrian-free
  background image of a *different* camera (``--background-dir`` holding one or more images per
  camera, named ``c<cam>*.jpg``/``.png``), resized to the frame size;
* ``RB`` (CUHK-SYSU, ``--dataset cuhk-sysu``): each query box is pasted (resized) into the
  location of a random box of a different test image, which becomes the new query image; the
  gallery is unchanged. The new query images, a json with them added (``file_name`` absolute)
  and a rewritten protocol ``.mat`` (``--protocol``) are written.

Input is a COCO-style json with ``person_id`` (the format :class:`mmped.datasets.PRWDataset` /
:class:`mmped.datasets.CUHKSYSUDataset` read). Output: ``OUT/<VARIANT>/<file_name>`` images
(same names: point ``data_prefix`` at the variant folder), plus ``OUT/manifest.json`` recording
the inputs, parameters and, per image, the operation (background source, random seed). Files are
written atomically; existing outputs and the inputs are never overwritten.

Example::

    python tools/dataset_converters/make_background_influence.py \\
        data/PRW/test_pid.json data/PRW/frames data/PRW_bg --dataset prw \\
        --variants MB MF RF RB --background-dir data/PRW/pure_background
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch

from mmped.models.task_modules.box_masks import boxes_to_mask

IMAGENET_MEAN_BGR = (103.53, 116.28, 123.675)
VARIANTS = ('MB', 'RB', 'RF', 'MF')


def foreground_mask(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Boolean (H, W) mask of the pixels whose centre lies in a box (xyxy, pixels)."""
    mask = boxes_to_mask(torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                         (height, width))
    return mask.numpy().astype(bool)


def mean_background(img: np.ndarray, fg: np.ndarray, mean=IMAGENET_MEAN_BGR) -> np.ndarray:
    """MB: background pixels set to ``mean`` (BGR)."""
    out = img.copy()
    out[~fg] = np.asarray(mean, dtype=np.float64).round().astype(img.dtype)
    return out


def mean_foreground(img: np.ndarray, fg: np.ndarray, mean=IMAGENET_MEAN_BGR) -> np.ndarray:
    """MF: foreground pixels set to ``mean`` (BGR)."""
    out = img.copy()
    out[fg] = np.asarray(mean, dtype=np.float64).round().astype(img.dtype)
    return out


def random_foreground(img: np.ndarray, fg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """RF: every foreground pixel replaced by a uniformly drawn pixel of the whole image."""
    out = img.copy()
    flat = img.reshape(-1, img.shape[-1])
    out[fg] = flat[rng.integers(0, flat.shape[0], int(fg.sum()))]
    return out


def paste_on_background(img: np.ndarray, fg: np.ndarray, background: np.ndarray) -> np.ndarray:
    """RB (PRW): foreground pixels of ``img`` over ``background`` resized to the frame."""
    h, w = img.shape[:2]
    if background.shape[:2] != (h, w):
        background = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    out = background.copy()
    out[fg] = img[fg]
    return out


def _camera(name: str) -> int:
    import re
    match = re.match(r'c(\d+)', osp.basename(name))
    return int(match.group(1)) if match else -1


def _write_image(path: str, img: np.ndarray) -> None:
    if osp.exists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite')
    os.makedirs(osp.dirname(path), exist_ok=True)
    ext = osp.splitext(path)[1] or '.png'
    ok, buf = cv2.imencode(ext, img, [cv2.IMWRITE_JPEG_QUALITY, 100] if ext in ('.jpg',
                                                                              '.jpeg') else [])
    if not ok:
        raise OSError(f'could not encode {path}')
    _atomic_bytes(path, buf.tobytes())


def _atomic_bytes(path: str, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(path), prefix='.tmp_')
    with os.fdopen(fd, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def _load_coco(path: str) -> Dict:
    with open(path) as f:
        data = json.load(f)
    for key in ('images', 'annotations'):
        if key not in data:
            raise KeyError(f'{path}: missing top-level field "{key}"')
    boxes: Dict[object, List] = {img['id']: [] for img in data['images']}
    for k, ann in enumerate(data['annotations']):
        if ann.get('image_id') not in boxes or len(ann.get('bbox', ())) != 4:
            raise ValueError(f'{path}: annotation {k}: bad image_id or bbox')
        x, y, w, h = ann['bbox']
        boxes[ann['image_id']].append([x, y, x + w, y + h])
    data['_boxes'] = {k: np.array(v, dtype=np.float64).reshape(-1, 4) for k, v in boxes.items()}
    return data


def _progress(i: int, n: int, label: str) -> None:
    if n and (i + 1 == n or (i + 1) % max(1, n // 20) == 0):
        print(f'\r{label}: {i + 1}/{n}', end='\n' if i + 1 == n else '', file=sys.stderr,
              flush=True)


def _backgrounds(folder: str) -> Dict[int, List[str]]:
    out: Dict[int, List[str]] = {}
    for name in sorted(os.listdir(folder)):
        if name.lower().endswith(('.jpg', '.jpeg', '.png')):
            out.setdefault(_camera(name), []).append(osp.join(folder, name))
    if not out:
        raise FileNotFoundError(f'{folder}: no background images')
    return out


def convert(ann_file: str, img_dir: str, out_dir: str, variants=VARIANTS, dataset='prw',
            background_dir: Optional[str] = None, protocol: Optional[str] = None,
            seed: int = 0, skip_missing: bool = False, mean=IMAGENET_MEAN_BGR) -> Dict:
    """Write the requested variants and the manifest; returns the manifest dict."""
    out_dir, img_dir = osp.abspath(out_dir), osp.abspath(img_dir)
    if out_dir == img_dir or out_dir.startswith(img_dir + os.sep):
        raise ValueError(f'output {out_dir} must not be inside the input images {img_dir}')
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f'unknown variant {v}; choose from {VARIANTS}')
    data = _load_coco(ann_file)
    images = [img for img in data['images']
              if not skip_missing or osp.exists(osp.join(img_dir, img['file_name']))]
    manifest = dict(ann_file=osp.abspath(ann_file), img_dir=img_dir, dataset=dataset,
                    seed=seed, mean_bgr=list(mean), variants={})
    for variant in variants:
        rng = np.random.default_rng(seed)
        records = []
        if variant == 'RB' and dataset == 'cuhk-sysu':
            records = _cuhk_random_background(data, img_dir, out_dir, protocol, rng)
        else:
            bgs = _backgrounds(background_dir) if variant == 'RB' else None
            for i, info in enumerate(images):
                src = osp.join(img_dir, info['file_name'])
                img = cv2.imread(src, cv2.IMREAD_COLOR)
                if img is None:
                    raise FileNotFoundError(f'{ann_file}: image {info["file_name"]} unreadable '
                                            f'at {src}')
                fg = foreground_mask(data['_boxes'][info['id']], *img.shape[:2])
                rec = dict(src=info['file_name'], dst=f'{variant}/{info["file_name"]}')
                if variant == 'MB':
                    out = mean_background(img, fg, mean)
                elif variant == 'MF':
                    out = mean_foreground(img, fg, mean)
                elif variant == 'RF':
                    out = random_foreground(img, fg, rng)
                else:
                    cam = _camera(info['file_name'])
                    pool = [p for c, ps in bgs.items() if c != cam for p in ps]
                    if not pool:
                        raise ValueError(f'no background of a camera other than {cam}')
                    bg_path = pool[int(rng.integers(len(pool)))]
                    out = paste_on_background(img, fg, cv2.imread(bg_path, cv2.IMREAD_COLOR))
                    rec['background'] = bg_path
                _write_image(osp.join(out_dir, variant, info['file_name']), out)
                records.append(rec)
                _progress(i, len(images), variant)
        manifest['variants'][variant] = dict(num_images=len(records), images=records)
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, 'manifest.json')
    if osp.exists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite')
    _atomic_bytes(path, json.dumps(manifest, indent=1).encode())
    return manifest


def _cuhk_random_background(data: Dict, img_dir: str, out_dir: str, protocol: Optional[str],
                            rng: np.random.Generator) -> List[dict]:
    """RB for CUHK-SYSU: paste each query into a box location of another test image."""
    from scipy.io import loadmat, savemat

    from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol

    if protocol is None:
        raise ValueError('RB on CUHK-SYSU needs --protocol TestG{N}.mat')
    queries = load_cuhk_sysu_protocol(protocol)
    by_name = {img['file_name']: img for img in data['images']}
    names = sorted(n for n in by_name if len(data['_boxes'][by_name[n]['id']]))
    pid_of = {}
    for ann in data['annotations']:
        x, y, w, h = ann['bbox']
        pid_of[(ann['image_id'], round(x), round(y), round(w), round(h))] = ann.get('person_id')
    mat = loadmat(protocol)
    key = next(k for k in mat if k.startswith('TestG'))
    table = mat[key]
    new_images, new_anns, records = [], [], []
    next_img = max(img['id'] for img in data['images']) + 1
    next_ann = max([a['id'] for a in data['annotations']] or [0]) + 1
    for qi, q in enumerate(queries):
        src = cv2.imread(osp.join(img_dir, q['img_name']), cv2.IMREAD_COLOR)
        if src is None:
            raise FileNotFoundError(f'{protocol}: query {qi}: image {q["img_name"]} unreadable')
        x1, y1, x2, y2 = (int(round(v)) for v in q['bbox'])
        crop = src[y1:y2, x1:x2]
        excluded = set(q['gallery']) | {q['img_name']}
        candidates = [n for n in names if n not in excluded]
        scene = candidates[int(rng.integers(len(candidates)))]
        scene_img = cv2.imread(osp.join(img_dir, scene), cv2.IMREAD_COLOR)
        boxes = data['_boxes'][by_name[scene]['id']]
        bx1, by1, bx2, by2 = (int(round(v)) for v in boxes[int(rng.integers(len(boxes)))])
        bx2, by2 = max(bx2, bx1 + 1), max(by2, by1 + 1)
        scene_img[by1:by2, bx1:bx2] = cv2.resize(crop, (bx2 - bx1, by2 - by1))
        name = f'rb_q{qi:04d}_{osp.splitext(q["img_name"])[0]}_in_{scene}'
        dst = osp.join(out_dir, 'RB', name)
        _write_image(dst, scene_img)
        qimg = by_name[q['img_name']]
        pid = pid_of.get((qimg['id'], x1, y1, x2 - x1, y2 - y1))
        if pid is None:
            raise KeyError(f'{protocol}: query {qi}: no annotation of {q["img_name"]} has the '
                           f'query box {q["bbox"]} (needed for its person_id)')
        new_images.append(dict(id=next_img, file_name=dst, width=scene_img.shape[1],
                               height=scene_img.shape[0]))
        new_anns.append(dict(id=next_ann, image_id=next_img, category_id=1, iscrowd=0,
                             bbox=[bx1, by1, bx2 - bx1, by2 - by1],
                             area=(bx2 - bx1) * (by2 - by1), person_id=pid))
        next_img, next_ann = next_img + 1, next_ann + 1
        query = table.reshape(-1)[qi]['Query'].reshape(-1)[0]
        query['imname'] = np.array([osp.basename(dst)])
        query['idlocate'] = np.array([[bx1, by1, bx2 - bx1, by2 - by1]], dtype=np.float64)
        records.append(dict(query=qi, src=q['img_name'], scene=scene,
                            dst=f'RB/{name}', box=[bx1, by1, bx2, by2]))
        _progress(qi, len(queries), 'RB')
    out = {k: v for k, v in data.items() if k != '_boxes'}
    out['images'] = data['images'] + new_images
    out['annotations'] = data['annotations'] + new_anns
    _atomic_bytes(osp.join(out_dir, 'RB', 'annotations_rb.json'), json.dumps(out).encode())
    mat_path = osp.join(out_dir, 'RB', osp.basename(protocol))
    if osp.exists(mat_path):
        raise FileExistsError(f'{mat_path} exists; refusing to overwrite')
    savemat(mat_path, {key: table})
    return records


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='COCO-style json with person_id')
    parser.add_argument('img_dir', help='folder of the images named in the json')
    parser.add_argument('out_dir', help='output folder (new files only)')
    parser.add_argument('--dataset', choices=['prw', 'cuhk-sysu'], default='prw')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument('--background-dir', help='PRW pure-background images c<cam>*.jpg (RB)')
    parser.add_argument('--protocol', help='CUHK-SYSU TestG{N}.mat (RB)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skip-missing', action='store_true',
                        help='ignore json images absent from img_dir')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if 'RB' in args.variants and args.dataset == 'prw' and not args.background_dir:
        raise SystemExit('RB on PRW needs --background-dir')
    manifest = convert(args.ann_file, args.img_dir, args.out_dir, args.variants, args.dataset,
                       args.background_dir, args.protocol, args.seed, args.skip_missing)
    counts = {k: v['num_images'] for k, v in manifest['variants'].items()}
    print(f'wrote {counts} to {args.out_dir}')


if __name__ == '__main__':
    main()
