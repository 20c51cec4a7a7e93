# Copyright (c) mmped contributors. All rights reserved.
"""Generate a small synthetic pedestrian dataset in the real CityPersons on-disk format.

No real dataset can be downloaded in every environment, so the demo and the acceptance tests
train on this one. It mimics CityPersons' layout and annotation files exactly::

    OUT/leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
    OUT/gtBboxCityPersons/{train,val}/<city>/<city>_<seq>_<frame>_gtBboxCityPersons.json
    OUT/annotations/val_gt.json    (COCO style, as the official ``eval_MR_multisetup.py`` reads it)
    OUT/annotations/train_gt.json  (same layout for the training split)

(the ``annotations/`` jsons are where ``configs/_base_/datasets/citypersons.py`` expects them).

Scenes: textured backgrounds (sky / facades with windows / road, low- and high-frequency
noise), clutter (cars, bushes, poles as hard negatives), pedestrians of varied heights with a
0.41 width / height box (head, torso, arms, legs in random colours), partial occlusion of some
pedestrians by cars or bushes in front of them (``bboxVis`` / ``vis_ratio`` computed from the
occluder) and ignore annotations (``person group`` clusters and ``ignore`` regions with tiny
people). Deterministic for a seed.

Example::

    python tools/misc/make_synthetic_citypersons.py data/synthetic_citypersons \\
        --num-train 200 --num-val 60 --img-size 160 320
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmped.utils.fileio import write_bytes_atomic as _write_atomic

TRAIN_CITIES = ('aachen', 'bochum', 'bremen')
VAL_CITIES = ('frankfurt', 'lindau', 'munster')
CATEGORIES = [dict(id=1, name='pedestrian'), dict(id=2, name='rider'),
              dict(id=3, name='sitting person'), dict(id=4, name='other person'),
              dict(id=5, name='people group'), dict(id=0, name='ignore region')]
# label of the per-image json -> (category id of the COCO json, ignored)
_LABELS = {'pedestrian': (1, 0), 'person group': (5, 1), 'ignore': (0, 1)}
ASPECT = 0.41


MANIFEST = 'synthetic_citypersons.json'


def _targets(out_dir: str, num_train: int, num_val: int) -> List[str]:
    """Every file the generator writes for these sizes (relative to ``out_dir``)."""
    files = []
    for split, num, cities in (('train', num_train, TRAIN_CITIES), ('val', num_val, VAL_CITIES)):
        for i in range(num):
            city = cities[i % len(cities)]
            stem = _name(city, i)
            files.append(f'leftImg8bit/{split}/{city}/{stem}_leftImg8bit.png')
            files.append(f'gtBboxCityPersons/{split}/{city}/{stem}_gtBboxCityPersons.json')
        files.append(f'annotations/{split}_gt.json')
    return files


def check_writable(out_dir: str, files: Sequence[str], overwrite: bool) -> None:
    """Refuse to write into anything this generator did not create.

    An absent or empty ``out_dir`` is always fine. A non-empty one must hold the generator's
    manifest; then ``overwrite`` is needed, and every file about to be replaced must be listed
    in the manifest as written by the generator.

    Args:
        out_dir (str): Output root.
        files (Sequence[str]): Files to write, relative to ``out_dir``.
        overwrite (bool): Allow replacing a previous synthetic dataset.

    Raises:
        FileExistsError: When something would be overwritten that the generator did not write.
    """
    if not osp.exists(out_dir):
        return
    if not osp.isdir(out_dir):
        raise FileExistsError(f'{out_dir} exists and is not a folder')
    if not os.listdir(out_dir):
        return
    manifest = osp.join(out_dir, MANIFEST)
    if not osp.isfile(manifest):
        raise FileExistsError(f'{out_dir} is not empty and was not made by this generator (no '
                              f'{MANIFEST}); refusing to write into it')
    if not overwrite:
        raise FileExistsError(f'{out_dir} already holds a synthetic dataset; pass --overwrite')
    try:
        with open(manifest, 'rb') as f:
            ours = set(json.loads(f.read()).get('files', []))
    except (OSError, ValueError, AttributeError) as e:
        raise FileExistsError(f'{manifest}: unreadable manifest ({e}); refusing to overwrite '
                              'anything') from None
    foreign = [f for f in files if osp.lexists(osp.join(out_dir, f)) and f not in ours]
    if foreign:
        raise FileExistsError(f'{osp.join(out_dir, foreign[0])} (and {len(foreign) - 1} more) '
                              'was not written by this generator; refusing to overwrite it')


def _background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Sky, facades with windows and road, plus low / high frequency texture (BGR uint8)."""
    horizon = int(h * rng.uniform(0.3, 0.5))
    img = np.empty((h, w, 3), np.float32)
    img[:horizon] = rng.uniform(120, 230, 3)
    img[horizon:] = rng.uniform(60, 130) + rng.uniform(-10, 10, 3)  # greyish road
    # facades
    x = 0
    while x < w:
        bw = int(rng.integers(w // 10, w // 4))
        top = int(rng.integers(0, max(1, horizon - h // 10)))
        colour = rng.uniform(40, 220, 3)
        img[top:horizon + h // 12, x:x + bw] = colour
        win = max(3, bw // 8)
        ys = np.arange(top + win, horizon, 2 * win)
        xs = np.arange(x + win, x + bw - win, 2 * win)
        win_colour = colour * rng.uniform(0.3, 0.7)
        for yy in ys:
            for xx in xs:
                img[yy:yy + win, xx:xx + win] = win_colour
        x += bw
    # low-frequency illumination and high-frequency texture
    low = cv2.resize(rng.normal(0, 25, (4, 8, 3)).astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    img += low + rng.normal(0, rng.uniform(4, 14), (h, w, 3)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw_person(img: np.ndarray, rng: np.random.Generator, x: float, y: float,
                 ph: float) -> None:
    """Draw a pedestrian whose box is ``(x, y, 0.41 ph, ph)``."""
    pw = ASPECT * ph
    skin = tuple(float(c) for c in rng.uniform([60, 90, 140], [140, 170, 230]))
    shirt = tuple(float(c) for c in rng.uniform(0, 255, 3))
    pants = tuple(float(c) for c in rng.uniform(0, 120, 3))

    def rect(x0, y0, x1, y1, colour):
        cv2.rectangle(img, (int(round(x + x0 * pw)), int(round(y + y0 * ph))),
                      (int(round(x + x1 * pw)) - 1, int(round(y + y1 * ph)) - 1), colour, -1)

    # legs with a random stride, torso, arms, head
    stride = rng.uniform(0.0, 0.12)
    rect(0.26 - stride, 0.55, 0.48 - stride, 1.0, pants)
    rect(0.52 + stride, 0.55, 0.74 + stride, 1.0, pants)
    rect(0.2, 0.18, 0.8, 0.58, shirt)
    rect(0.06, 0.2, 0.2, 0.52, shirt)
    rect(0.8, 0.2, 0.94, 0.52, shirt)
    cv2.ellipse(img, (int(round(x + 0.5 * pw)), int(round(y + 0.095 * ph))),
                (max(1, int(round(0.2 * pw))), max(1, int(round(0.085 * ph)))), 0, 0, 360,
                skin, -1)


def _draw_occluder(img: np.ndarray, rng: np.random.Generator, box: Sequence[float]) -> None:
    """A car (rectangle + wheels) or a bush (ellipse) filling ``box`` = (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
    if rng.random() < 0.6:
        cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), colour, -1)
        r = max(2, (y1 - y0) // 4)
        for cx in (x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4):
            cv2.circle(img, (cx, y1 - r // 2), r, (20, 20, 20), -1)
    else:
        green = tuple(float(c) for c in rng.uniform([20, 90, 20], [80, 180, 80]))
        cv2.ellipse(img, ((x0 + x1) // 2, (y0 + y1) // 2), (max(1, (x1 - x0) // 2),
                                                             max(1, (y1 - y0) // 2)), 0, 0, 360,
                    green, -1)


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-9)


def make_image(rng: np.random.Generator, h: int, w: int, height_range: Tuple[float, float],
               max_people: int = 6) -> Tuple[np.ndarray, List[dict]]:
    """One synthetic scene and its gtBboxCityPersons objects.

    Args:
        rng (np.random.Generator): Random generator.
        h (int): Image height.
        w (int): Image width.
        height_range (tuple[float, float]): Pedestrian heights (pixels), sampled log-uniformly.
        max_people (int): Upper bound of pedestrians per image.

    Returns:
        tuple[np.ndarray, list[dict]]: BGR image (h, w, 3) and objects with ``label``,
        ``bbox`` / ``bboxVis`` ``[x, y, w, h]`` (ints, as in CityPersons) and ``instanceId``.
    """
    img = _background(rng, h, w)
    objects: List[dict] = []
    # poles: vertical hard negatives
    for _ in range(int(rng.integers(0, 3))):
        px, pw = int(rng.integers(0, w - 4)), int(rng.integers(2, 5))
        cv2.rectangle(img, (px, int(rng.integers(0, h // 3))), (px + pw, h - 1),
                      tuple(float(c) for c in rng.uniform(30, 120, 3)), -1)
    boxes: List[List[float]] = []
    lo, hi = np.log(height_range[0]), np.log(height_range[1])
    for _ in range(int(rng.integers(1, max_people + 1))):
        for _attempt in range(10):
            ph = float(np.exp(rng.uniform(lo, hi)))
            ph = min(ph, h - 2)
            pw = ASPECT * ph
            x = float(rng.uniform(0, w - pw - 1))
            y = float(rng.uniform(max(0.0, 0.35 * h - 0.5 * ph), h - ph - 1))
            box = [round(x), round(y), round(pw), round(ph)]
            if all(_iou(box, b) < 0.25 for b in boxes):
                boxes.append(box)
                break
    # farther (smaller) people first, so nearer ones are drawn in front
    boxes.sort(key=lambda b: b[1] + b[3])
    for box in boxes:
        _draw_person(img, rng, box[0], box[1], box[3])
    for i, box in enumerate(boxes):
        vis = list(box)
        if rng.random() < 0.3 and box[3] >= 30:
            # occluder covering the lower 25-70% of the person
            frac = rng.uniform(0.25, 0.7)
            top = box[1] + box[3] * (1 - frac)
            ext = rng.uniform(0.3, 1.2) * box[2]
            occ = [box[0] - ext, top, box[0] + box[2] + ext, min(h, box[1] + box[3] + 2)]
            _draw_occluder(img, rng, occ)
            vis[3] = max(1, int(round(top)) - box[1])
        objects.append(dict(instanceId=24000 + i, label='pedestrian', bbox=box, bboxVis=vis))
    # ignore annotations: a group of small overlapping people, or an ignore region of tiny ones
    if rng.random() < 0.35:
        gh = float(rng.uniform(*height_range)) * 0.6
        n = int(rng.integers(3, 6))
        gw = ASPECT * gh * (1 + 0.6 * (n - 1))
        gx, gy = float(rng.uniform(0, w - gw - 1)), float(rng.uniform(0.3 * h, h - gh - 1))
        for k in range(n):
            _draw_person(img, rng, gx + k * 0.6 * ASPECT * gh, gy, gh)
        box = [round(gx), round(gy), round(gw), round(gh)]
        label = 'person group' if rng.random() < 0.5 else 'ignore'
        objects.append(dict(instanceId=0, label=label, bbox=box, bboxVis=box))
    return img, objects


def _name(city: str, idx: int) -> str:
    return f'{city}_{idx // 100:06d}_{idx % 100:06d}'


def make_synthetic_citypersons(out_dir: str,
                               num_train: int = 200,
                               num_val: int = 60,
                               img_size: Tuple[int, int] = (160, 320),
                               height_range: Tuple[float, float] = (24., 140.),
                               seed: int = 0,
                               overwrite: bool = False,
                               verbose: bool = True) -> Dict[str, str]:
    """Write the dataset (see the module docstring).

    Args:
        out_dir (str): Output root: absent, empty, or a previous synthetic dataset (then only
            with ``overwrite``); never a folder holding files the generator did not write.
        num_train (int): Training images.
        num_val (int): Validation images.
        img_size (tuple[int, int]): ``(height, width)`` (CityPersons is 1024 x 2048; the
            default keeps its 1:2 shape at 1/6.4 scale).
        height_range (tuple[float, float]): Pedestrian heights in pixels.
        seed (int): Random seed.
        overwrite (bool): Allow replacing an existing dataset in ``out_dir``.
        verbose (bool): Print progress.

    Returns:
        dict[str, str]: Paths: ``root``, ``train_img``, ``val_img``, ``train_ann`` (gtBbox
        folder), ``val_ann`` (gtBbox folder), ``val_json``, ``train_json``.
    """
    if num_train < 0 or num_val < 0:
        raise ValueError('num_train and num_val must be >= 0')
    h, w = int(img_size[0]), int(img_size[1])
    if h < 32 or w < 32:
        raise ValueError(f'img_size {img_size} too small (min 32 x 32)')
    if not 0 < height_range[0] < height_range[1]:
        raise ValueError(f'height_range {height_range} must satisfy 0 < min < max')
    manifest = osp.join(out_dir, MANIFEST)
    files = _targets(out_dir, num_train, num_val)
    check_writable(out_dir, files, overwrite)
    # the manifest first: an interrupted run leaves a folder the generator knows it wrote
    info = dict(num_train=num_train, num_val=num_val, img_size=[h, w],
                height_range=list(height_range), seed=seed, files=files)
    _write_atomic(manifest, json.dumps(dict(info, complete=False)).encode())
    rng = np.random.default_rng(seed)
    paths = dict(root=out_dir)
    for split, num, cities in (('train', num_train, TRAIN_CITIES), ('val', num_val, VAL_CITIES)):
        images, annotations = [], []
        for i in range(num):
            city = cities[i % len(cities)]
            stem = _name(city, i)
            img, objects = make_image(rng, h, w, height_range)
            ok, png = cv2.imencode('.png', img)
            if not ok:
                raise RuntimeError(f'could not encode image {stem}')
            _write_atomic(osp.join(out_dir, 'leftImg8bit', split, city,
                                   f'{stem}_leftImg8bit.png'), png.tobytes())
            gt = dict(imgHeight=h, imgWidth=w, objects=objects)
            _write_atomic(osp.join(out_dir, 'gtBboxCityPersons', split, city,
                                   f'{stem}_gtBboxCityPersons.json'), json.dumps(gt).encode())
            images.append(dict(id=i + 1, im_name=f'{stem}_leftImg8bit.png', height=h, width=w))
            for obj in objects:
                cat, ignore = _LABELS[obj['label']]
                bx, vb = obj['bbox'], obj['bboxVis']
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=i + 1, category_id=cat, iscrowd=ignore,
                    ignore=ignore, bbox=bx, vis_bbox=vb, height=bx[3],
                    vis_ratio=(vb[2] * vb[3]) / max(1, bx[2] * bx[3])))
            if verbose and ((i + 1) % 50 == 0 or i + 1 == num):
                print(f'[synthetic citypersons] {split}: {i + 1}/{num} images', flush=True)
        coco = dict(images=images, annotations=annotations, categories=CATEGORIES)
        json_path = osp.join(out_dir, 'annotations', f'{split}_gt.json')
        _write_atomic(json_path, json.dumps(coco).encode())
        paths[f'{split}_img'] = osp.join(out_dir, 'leftImg8bit', split)
        paths[f'{split}_ann'] = osp.join(out_dir, 'gtBboxCityPersons', split)
        paths[f'{split}_json'] = json_path
    _write_atomic(manifest, json.dumps(dict(info, complete=True)).encode())
    return paths


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='output root folder')
    parser.add_argument('--num-train', type=int, default=200)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--img-size', type=int, nargs=2, default=(160, 320),
                        metavar=('H', 'W'))
    parser.add_argument('--height-range', type=float, nargs=2, default=(24., 140.),
                        metavar=('MIN', 'MAX'), help='pedestrian heights in pixels')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        paths = make_synthetic_citypersons(args.out_dir, args.num_train, args.num_val,
                                           tuple(args.img_size), tuple(args.height_range),
                                           args.seed, args.overwrite)
    except (FileExistsError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    print(json.dumps(paths, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
