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
  location of a random box of a different test image outside the query's gallery, which becomes
  the new query image; the gallery is unchanged. Written into ``OUT/RB/``: the new query images,
  the unchanged test images (hard links, copies across file systems), ``annotations_rb.json``
  (the test set plus the new query images, every ``file_name`` a bare name) and the rewritten
  protocol ``TestG{N}.mat`` (``--protocol``) naming the new query images.

Input: the test split exactly as :class:`mmped.datasets.PRWDataset` /
:class:`mmped.datasets.CUHKSYSUDataset` read it: a COCO-style json with ``person_id`` or the raw
release files (PRW ``frame_test.mat`` with ``annotations/`` beside it, or ``--anno-dir``;
CUHK-SYSU ``annotation/Images.mat`` with ``Person.mat`` / ``pool.mat`` beside it, or
``--person-file`` / ``--pool-file``). Output: ``OUT/<VARIANT>/<file_name>``, every variant
folder holding the whole test split under its original names, so a variant is evaluated by
pointing ``data_prefix.img`` at its folder (and, for CUHK-SYSU RB, ``ann_file`` /
``query_file`` at the files in ``OUT/RB/``; see ``configs/buff/*-rb.py``), plus
``OUT/manifest.json`` recording the inputs, parameters and, per image, the operation
(background source, pasted box). Files are written atomically; existing outputs and the
inputs are never overwritten.

Example::

    python tools/dataset_converters/make_background_influence.py \\
        data/PRW/frame_test.mat data/PRW/frames data/PRW/background_influence --dataset prw \\
        --variants MB MF RF RB --background-dir data/PRW/pure_background
    python tools/dataset_converters/make_background_influence.py \\
        data/CUHK-SYSU/annotation/Images.mat data/CUHK-SYSU/Image/SSM \\
        data/CUHK-SYSU/background_influence --dataset cuhk-sysu \\
        --protocol data/CUHK-SYSU/annotation/test/train_test/TestG100.mat
"""
import argparse
import io
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

import cv2
import numpy as np
import torch

from mmped.models.task_modules.box_masks import boxes_to_mask
from mmped.utils.fileio import write_bytes_atomic

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
    match = re.match(r'c(\d+)', osp.basename(name))
    return int(match.group(1)) if match else -1


def _refuse_existing(path: str) -> None:
    if osp.exists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite')


def _write_image(path: str, img: np.ndarray) -> None:
    _refuse_existing(path)
    ext = osp.splitext(path)[1] or '.png'
    params = [cv2.IMWRITE_JPEG_QUALITY, 100] if ext.lower() in ('.jpg', '.jpeg') else []
    ok, buf = cv2.imencode(ext, img, params)
    if not ok:
        raise OSError(f'could not encode {path}')
    write_bytes_atomic(path, buf.tobytes())


def _link_or_copy(src: str, dst: str) -> None:
    """Hard link ``src`` as ``dst`` (a byte copy across file systems)."""
    _refuse_existing(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        with open(src, 'rb') as f:
            write_bytes_atomic(dst, f.read())


def _read_image(path: str, source: str, record: str) -> np.ndarray:
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(f'{source}: {record}: image {path} missing or unreadable')
    return img


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


def load_split(ann_file: str, img_dir: str, dataset: str = 'prw',
               anno_dir: Optional[str] = None, person_file: Optional[str] = None,
               pool_file: Optional[str] = None, skip_missing: bool = False) -> List[dict]:
    """The test split through the dataset classes (json or raw release files).

    Args:
        ann_file (str): COCO-style json with ``person_id``, PRW ``frame_test.mat`` or
            CUHK-SYSU ``Images.mat``.
        img_dir (str): Folder of the images.
        dataset (str): ``'prw'`` or ``'cuhk-sysu'``.
        anno_dir (str, optional): PRW per-frame ``.mat`` folder (raw); defaults to
            ``annotations/`` beside ``ann_file``.
        person_file (str, optional): CUHK-SYSU ``Person.mat`` (raw); defaults to the one
            beside ``ann_file``.
        pool_file (str, optional): CUHK-SYSU ``pool.mat`` (raw); likewise.
        skip_missing (bool): Drop images absent from ``img_dir``.

    Returns:
        list[dict]: Per image ``file_name``, ``width``, ``height``, ``boxes`` (N, 4) xyxy and
        ``person_ids`` (N, ) (training labels, -1 = unlabelled).
    """
    from mmped.datasets import CUHKSYSUDataset, PRWDataset

    folder = osp.dirname(osp.abspath(ann_file))
    kw = dict(ann_file=osp.abspath(ann_file), data_prefix=dict(img=osp.abspath(img_dir)),
              test_mode=True, pipeline=[], serialize_data=False)
    if dataset == 'prw':
        ds = PRWDataset(anno_dir=anno_dir or osp.join(folder, 'annotations'), **kw)
    elif dataset == 'cuhk-sysu':
        ds = CUHKSYSUDataset(person_file=person_file or osp.join(folder, 'Person.mat'),
                             pool_file=pool_file or osp.join(folder, 'pool.mat'),
                             gallery_size=-1, **kw)
    else:
        raise ValueError(f'unknown dataset {dataset}; choose prw or cuhk-sysu')
    records = []
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        if skip_missing and not osp.exists(info['img_path']):
            continue
        inst = info['instances']
        records.append(dict(
            file_name=info['file_name'], width=info['width'], height=info['height'],
            boxes=np.array([x['bbox'] for x in inst], dtype=np.float64).reshape(-1, 4),
            person_ids=np.array([x['person_id'] for x in inst], dtype=np.int64)))
    return records


def to_coco(records: List[dict]) -> Dict:
    """COCO-style dict with ``person_id`` (-1 = unlabelled) and bare ``file_name`` s."""
    images, annotations = [], []
    for k, rec in enumerate(records):
        images.append(dict(id=k, file_name=rec['file_name'], width=int(rec['width']),
                           height=int(rec['height'])))
        xywh = np.concatenate([rec['boxes'][:, :2], rec['boxes'][:, 2:] - rec['boxes'][:, :2]],
                              axis=1)
        for box, pid in zip(xywh.tolist(), rec['person_ids'].tolist()):
            annotations.append(dict(id=len(annotations), image_id=k, category_id=1, iscrowd=0,
                                    bbox=box, area=box[2] * box[3], person_id=pid))
    return dict(images=images, annotations=annotations,
                categories=[dict(id=1, name='person')])


def convert(ann_file: str, img_dir: str, out_dir: str, variants=VARIANTS, dataset='prw',
            background_dir: Optional[str] = None, protocol: Optional[str] = None,
            seed: int = 0, skip_missing: bool = False, mean=IMAGENET_MEAN_BGR,
            **raw_files) -> Dict:
    """Write the requested variants and the manifest; returns the manifest dict.

    Args:
        ann_file, img_dir, dataset, skip_missing, **raw_files: See :func:`load_split`.
        out_dir (str): Output folder (new files only; not inside ``img_dir``).
        variants (Sequence[str]): Subset of ``MB``, ``RB``, ``RF``, ``MF``.
        background_dir (str, optional): PRW pure-background images (RB).
        protocol (str, optional): CUHK-SYSU ``TestG{N}.mat`` (RB).
        seed (int): Seed of every random choice (one generator per variant).
        mean (tuple): BGR fill of MB / MF.

    Returns:
        dict: The manifest written to ``out_dir/manifest.json``.
    """
    out_dir, img_dir = osp.abspath(out_dir), osp.abspath(img_dir)
    if out_dir == img_dir or out_dir.startswith(img_dir + os.sep):
        raise ValueError(f'output {out_dir} must not be inside the input images {img_dir}')
    for v in variants:
        if v not in VARIANTS:
            raise ValueError(f'unknown variant {v}; choose from {VARIANTS}')
    if 'RB' in variants and dataset == 'prw' and not background_dir:
        raise ValueError('RB on PRW needs a background_dir of pedestrian-free frames')
    if 'RB' in variants and dataset == 'cuhk-sysu' and not protocol:
        raise ValueError('RB on CUHK-SYSU needs the protocol TestG{N}.mat')
    manifest_path = osp.join(out_dir, 'manifest.json')
    _refuse_existing(manifest_path)
    records = load_split(ann_file, img_dir, dataset, skip_missing=skip_missing, **raw_files)
    manifest = dict(ann_file=osp.abspath(ann_file), img_dir=img_dir, dataset=dataset,
                    protocol=protocol and osp.abspath(protocol), seed=seed,
                    mean_bgr=list(mean), variants={})
    for variant in variants:
        rng = np.random.default_rng(seed)
        if variant == 'RB' and dataset == 'cuhk-sysu':
            done = _cuhk_random_background(records, img_dir, out_dir, protocol, rng)
        else:
            done = _pixel_variant(records, img_dir, out_dir, variant, rng, mean,
                                  _backgrounds(background_dir) if variant == 'RB' else None)
        manifest['variants'][variant] = dict(num_images=len(done), images=done)
    write_bytes_atomic(manifest_path, json.dumps(manifest, indent=1).encode())
    return manifest


def _pixel_variant(records: List[dict], img_dir: str, out_dir: str, variant: str,
                   rng: np.random.Generator, mean, bgs: Optional[Dict[int, List[str]]]
                   ) -> List[dict]:
    """MB / MF / RF (both datasets) and RB (PRW) of every image, under its own name."""
    done = []
    for i, rec in enumerate(records):
        img = _read_image(osp.join(img_dir, rec['file_name']), img_dir, rec['file_name'])
        fg = foreground_mask(rec['boxes'], *img.shape[:2])
        entry = dict(src=rec['file_name'], dst=f'{variant}/{rec["file_name"]}')
        if variant == 'MB':
            out = mean_background(img, fg, mean)
        elif variant == 'MF':
            out = mean_foreground(img, fg, mean)
        elif variant == 'RF':
            out = random_foreground(img, fg, rng)
        else:
            cam = _camera(rec['file_name'])
            pool = [p for c, ps in bgs.items() if c != cam for p in ps]
            if not pool:
                raise ValueError(f'no background of a camera other than {cam}')
            entry['background'] = pool[int(rng.integers(len(pool)))]
            out = paste_on_background(img, fg, _read_image(entry['background'], 'backgrounds',
                                                           'RB'))
        _write_image(osp.join(out_dir, variant, rec['file_name']), out)
        done.append(entry)
        _progress(i, len(records), variant)
    return done


def _int_box(box, width: int, height: int) -> List[int]:
    """Integer xyxy inside a ``width`` x ``height`` image, at least one pixel wide / high."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1 = min(max(x1, 0), width - 1), min(max(y1, 0), height - 1)
    return [x1, y1, min(max(x2, x1 + 1), width), min(max(y2, y1 + 1), height)]


def _cuhk_random_background(records: List[dict], img_dir: str, out_dir: str, protocol: str,
                            rng: np.random.Generator) -> List[dict]:
    """RB for CUHK-SYSU: paste each query into a box location of another test image."""
    from scipy.io import loadmat, savemat

    from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol
    from mmped.datasets.person_search import best_iou_match

    rb_dir = osp.join(out_dir, 'RB')
    queries = load_cuhk_sysu_protocol(protocol)
    by_name = {r['file_name']: r for r in records}
    with_boxes = sorted(n for n, r in by_name.items() if len(r['boxes']))
    mat = loadmat(protocol)
    key = next(k for k in mat if k.startswith('TestG'))
    table = mat[key].reshape(-1)
    new_records, done = [], []
    for qi, q in enumerate(queries):
        where = f'query {qi} ({q["idname"]})'
        qrec = by_name.get(q['img_name'])
        if qrec is None:
            raise KeyError(f'{protocol}: {where}: image {q["img_name"]} not in the test split')
        j, iou = best_iou_match(q['bbox'], qrec['boxes'])
        if j < 0 or iou < 0.5 or qrec['person_ids'][j] < 0:
            raise KeyError(f'{protocol}: {where}: no labelled box of {q["img_name"]} matches '
                           f'the query box {q["bbox"]} (needed for its person_id)')
        src = _read_image(osp.join(img_dir, q['img_name']), protocol, where)
        x1, y1, x2, y2 = _int_box(q['bbox'], src.shape[1], src.shape[0])
        excluded = set(q['gallery']) | {q['img_name']}
        candidates = [n for n in with_boxes if n not in excluded]
        if not candidates:
            raise ValueError(f'{protocol}: {where}: no test image with boxes outside the '
                             f'gallery to paste into')
        scene = candidates[int(rng.integers(len(candidates)))]
        scene_img = _read_image(osp.join(img_dir, scene), protocol, where)
        boxes = by_name[scene]['boxes']
        bx1, by1, bx2, by2 = _int_box(boxes[int(rng.integers(len(boxes)))],
                                      scene_img.shape[1], scene_img.shape[0])
        scene_img[by1:by2, bx1:bx2] = cv2.resize(src[y1:y2, x1:x2], (bx2 - bx1, by2 - by1))
        name = f'rb_q{qi:04d}_{osp.splitext(q["img_name"])[0]}_in_{scene}'
        _write_image(osp.join(rb_dir, name), scene_img)
        new_records.append(dict(file_name=name, width=scene_img.shape[1],
                                height=scene_img.shape[0],
                                boxes=np.array([[bx1, by1, bx2, by2]], dtype=np.float64),
                                person_ids=qrec['person_ids'][j:j + 1]))
        query = table[qi]['Query'].reshape(-1)[0]
        query['imname'] = np.array([name])
        query['idlocate'] = np.array([[bx1, by1, bx2 - bx1, by2 - by1]], dtype=np.float64)
        done.append(dict(query=qi, src=q['img_name'], scene=scene, dst=f'RB/{name}',
                         box=[bx1, by1, bx2, by2]))
        _progress(qi, len(queries), 'RB')
    for rec in records:  # the unchanged test images: the folder holds the whole split
        _link_or_copy(osp.join(img_dir, rec['file_name']), osp.join(rb_dir, rec['file_name']))
    json_path = osp.join(rb_dir, 'annotations_rb.json')
    _refuse_existing(json_path)
    write_bytes_atomic(json_path, json.dumps(to_coco(records + new_records)).encode())
    mat_path = osp.join(rb_dir, osp.basename(protocol))
    _refuse_existing(mat_path)
    buf = io.BytesIO()
    savemat(buf, {key: mat[key]})
    write_bytes_atomic(mat_path, buf.getvalue())
    return done


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('ann_file', help='test split: COCO-style json with person_id, PRW '
                        'frame_test.mat or CUHK-SYSU Images.mat')
    parser.add_argument('img_dir', help='folder of the images')
    parser.add_argument('out_dir', help='output folder (new files only)')
    parser.add_argument('--dataset', choices=['prw', 'cuhk-sysu'], default='prw')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument('--background-dir', help='PRW pure-background images c<cam>*.jpg (RB)')
    parser.add_argument('--protocol', help='CUHK-SYSU TestG{N}.mat (RB)')
    parser.add_argument('--anno-dir', help='PRW raw: per-frame .mat folder '
                        '(default: annotations/ beside ann_file)')
    parser.add_argument('--person-file', help='CUHK-SYSU raw: Person.mat (default: beside '
                        'ann_file)')
    parser.add_argument('--pool-file', help='CUHK-SYSU raw: pool.mat (default: beside ann_file)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--skip-missing', action='store_true',
                        help='ignore test images absent from img_dir')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        manifest = convert(args.ann_file, args.img_dir, args.out_dir, args.variants,
                           args.dataset, args.background_dir, args.protocol, args.seed,
                           args.skip_missing, anno_dir=args.anno_dir,
                           person_file=args.person_file, pool_file=args.pool_file)
    except ValueError as err:
        raise SystemExit(str(err)) from None
    counts = {k: v['num_images'] for k, v in manifest['variants'].items()}
    print(f'wrote {counts} to {args.out_dir}')


if __name__ == '__main__':
    main()
