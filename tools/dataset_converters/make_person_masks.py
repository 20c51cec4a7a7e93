# Copyright (c) mmped contributors. All rights reserved.
"""Write pseudo person masks for Da-HAR with an mmdet instance-segmentation model.

Da-HAR supervises its masked attention with person masks from an off-the-shelf segmentation
network trained on COCO (the paper uses an FPN). This tool runs an mmdet instance-segmentation
model (default: Mask R-CNN R50-FPN trained on COCO, weights by URL or a local path) over the
samples of an attribute config's datasets and writes one mask per sample where that config's
``LoadPersonMask`` step looks for it (its ``mask_dir``, ``img_dir`` and ``name_template``), in
the crop frame: each sample's image goes through the config's own pipeline steps before
``LoadPersonMask`` (e.g. ``LoadImageFromFile`` + ``CropPersonBox`` for WIDER-Attribute), so the
mask covers exactly the image ``LoadPersonMask`` receives.

Mask choice: among the COCO ``person`` instances scoring at least ``--score-thr``, the one
maximising ``score * IoU(box, crop)`` (the crop is the target person's box, so the target's
instance fills it; people partly visible at its border overlap it less). Samples without such
an instance get no file and fall back to box masks in training; their number is printed.

Files: 8-bit PNGs (255 = person), written atomically. Existing files are never overwritten:
the run stops before writing when any output exists, unless ``--skip-existing`` keeps them
(to resume an interrupted run). An output path equal to an input image is refused.

Example::

    python tools/dataset_converters/make_person_masks.py \\
        configs/dahar/dahar_r101_1xb32-30e_wider-attribute.py --splits train val
    # offline: --seg-checkpoint /path/to/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar

from mmped.registry import DATASETS, TRANSFORMS
from mmped.utils import register_all_modules
from mmped.utils.fileio import write_bytes_atomic

SEG_CONFIG = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
SEG_CHECKPOINT = ('https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/'
                  'mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth')
PERSON = 0  # COCO label index of "person" in mmdet's 80-class models
SPLITS = ('train', 'val', 'test')


def load_seg_config(config) -> Config:
    """The segmentation model's config: a path, an ``mmdet::`` name or a Config."""
    if isinstance(config, Config):
        return config
    if '::' in str(config) and not osp.exists(str(config)):
        return Config.fromstring(f'_base_ = {str(config)!r}\n', file_format='.py')
    return Config.fromfile(str(config))


def build_segmenter(config, checkpoint: Optional[str], device: str = 'cpu'):
    """An mmdet detector in eval mode (``checkpoint=None`` keeps its random initialisation)."""
    from mmdet.apis import init_detector

    return init_detector(load_seg_config(config), checkpoint, device=device)


def select_person_mask(pred, crop_hw: Sequence[int], score_thr: float) -> Optional[np.ndarray]:
    """The target person's mask in one crop, or None when no person instance qualifies.

    Args:
        pred: mmdet ``DetDataSample`` with ``pred_instances`` (``labels``, ``scores``,
            ``bboxes`` (K, 4) xyxy, ``masks`` (K, H, W)).
        crop_hw (Sequence[int]): Crop height and width.
        score_thr (float): Lowest score of a person instance.

    Returns:
        np.ndarray, optional: (H, W) bool mask of the instance maximising
        ``score * IoU(box, crop)``.
    """
    inst = pred.pred_instances
    keep = (inst.labels == PERSON) & (inst.scores >= score_thr)
    if not bool(keep.any()):
        return None
    h, w = int(crop_hw[0]), int(crop_hw[1])
    boxes, scores, masks = inst.bboxes[keep], inst.scores[keep], inst.masks[keep]
    crop = boxes.new_tensor([0, 0, w, h])
    lt = torch.maximum(boxes[:, :2], crop[:2])
    rb = torch.minimum(boxes[:, 2:], crop[2:])
    inter = (rb - lt).clamp(min=0).prod(1)
    area = (boxes[:, 2:] - boxes[:, :2]).clamp(min=0).prod(1)
    iou = inter / (area + h * w - inter).clamp(min=1e-6)
    best = int(torch.argmax(scores * iou))
    mask = masks[best]
    return (mask.cpu().numpy() if torch.is_tensor(mask) else np.asarray(mask)).astype(bool)


def find_mask_step(pipeline: List[dict]) -> int:
    """Index of the ``LoadPersonMask`` step of a pipeline config."""
    for i, step in enumerate(pipeline):
        if str(step.get('type', '')).split('.')[-1] == 'LoadPersonMask':
            return i
    raise ValueError('the training pipeline has no LoadPersonMask step: nothing says where '
                     'the masks go')


def dataset_cfgs(cfg: Config, splits: Sequence[str]) -> List[dict]:
    """Distinct dataset configs of the requested dataloaders (without their pipelines)."""
    out, seen = [], set()
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        ds = dict(loader['dataset'])
        ds.pop('pipeline', None)
        key = repr(sorted((k, repr(v)) for k, v in ds.items()))
        if key not in seen:
            seen.add(key)
            out.append(ds)
    return out


def plan(cfg: Config, splits: Sequence[str]):
    """Samples to segment: ``(results before LoadPersonMask, mask path)`` generators.

    Returns:
        tuple: ``(prefix Compose, LoadPersonMask, list of data infos)``.
    """
    pipeline = list(cfg.train_dataloader.dataset.pipeline)
    idx = find_mask_step(pipeline)
    step = TRANSFORMS.build(pipeline[idx])
    if step.mask_dir is None:
        raise ValueError('LoadPersonMask has mask_dir=None: set mask_dir in the config')
    if step.frame != 'crop':
        raise ValueError("this tool writes crop-frame masks: set LoadPersonMask frame='crop'")
    prefix = Compose([TRANSFORMS.build(t) for t in pipeline[:idx]])
    infos = []
    for ds_cfg in dataset_cfgs(cfg, splits):
        dataset = DATASETS.build(dict(ds_cfg, pipeline=[], lazy_init=False))
        infos += [dataset.get_data_info(i) for i in range(len(dataset))]
    return prefix, step, infos


def make_masks(cfg: Config,
               segmenter,
               splits: Sequence[str] = ('train', ),
               score_thr: float = 0.5,
               skip_existing: bool = False) -> Dict[str, int]:
    """Segment every sample of the config's datasets and write the missing mask files.

    Args:
        cfg (Config): Attribute config whose training pipeline has ``LoadPersonMask``.
        segmenter: mmdet instance-segmentation model (``build_segmenter``).
        splits (Sequence[str]): Dataloaders whose datasets are processed.
        score_thr (float): Lowest score of a person instance. Defaults to 0.5.
        skip_existing (bool): Keep existing files instead of stopping. Defaults to False.

    Returns:
        dict[str, int]: ``samples``, ``written``, ``no_person`` (left to the box fallback)
        and ``kept`` (existing files kept).
    """
    from mmdet.apis import inference_detector

    with DefaultScope.overwrite_default_scope('mmped'):
        prefix, step, infos = plan(cfg, splits)
    paths = [step.mask_path(info) for info in infos]
    inputs = {osp.abspath(info['img_path']) for info in infos}
    clash = [p for p in paths if osp.abspath(p) in inputs]
    if clash:
        raise ValueError(f'mask path {clash[0]} is an input image: choose another mask_dir')
    existing = [p for p in paths if osp.exists(p)]
    if existing and not skip_existing:
        raise FileExistsError(f'{len(existing)} of {len(paths)} mask files exist already '
                              f'(first: {existing[0]}); nothing written. Use --skip-existing '
                              'to keep them and write the others')
    counts = dict(samples=len(paths), written=0, no_person=0, kept=len(existing))
    todo = [(info, p) for info, p in zip(infos, paths) if not osp.exists(p)]
    done = set()
    bar = ProgressBar(len(todo)) if todo else None
    for info, path in todo:
        if path in done:  # two samples mapped to one file (duplicate boxes)
            bar.update()
            continue
        results = prefix(dict(info))
        crop = results['img']
        mask = select_person_mask(inference_detector(segmenter, crop), crop.shape[:2],
                                  score_thr)
        if mask is None:
            counts['no_person'] += 1
        else:
            ok, png = cv2.imencode('.png', mask.astype(np.uint8) * 255)
            if not ok:
                raise RuntimeError(f'{path}: PNG encoding failed')
            write_bytes_atomic(path, png.tobytes())
            counts['written'] += 1
        done.add(path)
        bar.update()
    return counts


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='attribute config with a LoadPersonMask step')
    parser.add_argument('--splits', nargs='+', default=['train'], choices=SPLITS,
                        help='dataloaders whose datasets are processed (default: train)')
    parser.add_argument('--seg-config', default=SEG_CONFIG,
                        help='mmdet instance-segmentation config (path or mmdet:: name)')
    parser.add_argument('--seg-checkpoint', default=SEG_CHECKPOINT,
                        help='weights: URL (downloaded into the torch hub cache) or local path')
    parser.add_argument('--random-init', action='store_true',
                        help='keep the model randomly initialised (tests only)')
    parser.add_argument('--device', default='cuda:0' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--skip-existing', action='store_true',
                        help='keep existing mask files and write the missing ones')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides of the attribute config')
    parser.add_argument('--seg-cfg-options', nargs='+', action=DictAction,
                        help='overrides of the segmentation config')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, int]:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    seg_cfg = load_seg_config(args.seg_config)
    if args.seg_cfg_options:
        seg_cfg.merge_from_dict(args.seg_cfg_options)
    segmenter = build_segmenter(seg_cfg, None if args.random_init else args.seg_checkpoint,
                                args.device)
    counts = make_masks(cfg, segmenter, args.splits, args.score_thr, args.skip_existing)
    print(f"\n{counts['written']} masks written, {counts['kept']} kept, "
          f"{counts['no_person']} of {counts['samples']} samples without a person instance "
          f"(score >= {args.score_thr}): they fall back to box masks")
    return counts


if __name__ == '__main__':
    main(sys.argv[1:])
