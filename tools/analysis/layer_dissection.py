# Copyright (c) mmped contributors. All rights reserved.
"""Convolutional layer dissection of a detector (GDFL Sec. IV-A, eq. 6).

For every backbone output layer of a detector and a set of images, keeps each channel's 5 %
strongest activations and measures their IoU with the pedestrian boxes' mask at the layer's
resolution (see :mod:`mmped.utils.layer_dissection`), then reports the share of pedestrian
channels per layer (the paper finds about 28 %), as JSON and a bar plot.

Examples::

    python tools/analysis/layer_dissection.py configs/gdfl/gdfl_vgg16_4xb8-12e_caltech.py \
        --checkpoint work_dirs/gdfl_vgg16_4xb8-12e_caltech/epoch_12.pth --num-images 500 \
        --out-dir dissection/
    mim run mmped layer_dissection CONFIG --checkpoint CKPT --out-dir OUT

Images come from the config's ``val_dataloader`` (``--split train`` for ``train_dataloader``,
whose augmentation then applies); pedestrians are its non-ignored ground-truth boxes. Without
``--checkpoint`` the model keeps its initialisation (useful as a baseline).
"""
import argparse
import json
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.runner import Runner, load_checkpoint

from mmped.registry import MODELS
from mmped.utils import load_tool_config, register_all_modules, write_bytes_atomic
from mmped.utils.layer_dissection import box_cell_mask, dissect_channels


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Layer dissection (GDFL eq. 6)')
    parser.add_argument('config', help='detector config')
    parser.add_argument('--checkpoint', help='weights (default: the initialisation)')
    parser.add_argument('--split', choices=['val', 'train'], default='val')
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--top', type=float, default=0.05,
                        help='fraction of the strongest activations kept per channel')
    parser.add_argument('--iou-thr', type=float, default=0.04,
                        help='IoU above which a channel is a pedestrian channel')
    parser.add_argument('--out-dir', required=True, help='dissection.json and dissection.png')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


@torch.no_grad()
def collect(model, loader, num_images: int):
    """Backbone activations (C, P) and pedestrian masks (P, ) of each layer, over the images.

    Args:
        model: Detector with ``data_preprocessor`` and ``backbone`` (layers named by the
            backbone's ``out_layers`` when it has them, else ``out0``, ``out1``...).
        loader: Dataloader yielding mmdet data batches with ground truth.
        num_images (int): Images to use (at most).

    Returns:
        tuple[dict[str, Tensor], dict[str, Tensor], int]: Activations and masks per layer
        name, and the number of images used.
    """
    feats: Dict[str, List[torch.Tensor]] = {}
    masks: Dict[str, List[torch.Tensor]] = {}
    seen = 0
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        outs = model.backbone(inputs)
        layer_names = getattr(model.backbone, 'out_layers', None) or [
            f'out{i}' for i in range(len(outs))]
        for name in layer_names:
            feats.setdefault(name, [])
            masks.setdefault(name, [])
        in_h = inputs.shape[-2]
        for name, out in zip(layer_names, outs):
            stride = in_h / out.shape[-2]
            for j, sample in enumerate(samples[:num_images - seen]):
                feats[name].append(out[j].flatten(1).float().cpu())
                masks[name].append(box_cell_mask(sample.gt_instances.bboxes, out.shape[-2:],
                                                 stride).flatten().cpu())
        seen += min(len(samples), num_images - seen)
        if seen >= num_images:
            break
    return ({n: torch.cat(v, dim=1) for n, v in feats.items()},
            {n: torch.cat(v) for n, v in masks.items()}, seen)


def dissect(model, loader, num_images: int, top: float = 0.05,
            iou_thr: float = 0.04) -> dict:
    """Dissect every backbone output of ``model`` over ``num_images`` images of ``loader``.

    Args:
        model: Detector (see :func:`collect`).
        loader: Dataloader with ground truth.
        num_images (int): Images to use (at most).
        top (float): Fraction of the strongest activations kept per channel.
        iou_thr (float): IoU above which a channel is a pedestrian channel.

    Returns:
        dict: ``num_images`` and ``layers``: per layer name ``channels``,
        ``pedestrian_channels``, ``share``, ``mask_fraction`` (share of pedestrian cells),
        ``chance_iou`` (IoU a channel unrelated to pedestrians gets on average: compare it with
        ``iou_thr``) and the per-channel ``iou`` list.
    """
    feats, masks, seen = collect(model, loader, num_images)
    layers = {}
    for name in feats:
        res = dissect_channels(feats[name], masks[name], top, iou_thr)
        layers[name] = dict(channels=int(res['iou'].numel()),
                            pedestrian_channels=int(res['pedestrian'].sum()),
                            share=res['share'],
                            mask_fraction=float(masks[name].float().mean()),
                            chance_iou=chance_iou(top, float(masks[name].float().mean())),
                            iou=[round(float(v), 6) for v in res['iou']])
    return dict(num_images=seen, top=top, iou_thr=iou_thr, layers=layers)


def chance_iou(top: float, mask_fraction: float) -> float:
    """IoU of a channel whose top positions fall at random w.r.t. the mask (for reference).

    With a fraction ``top`` of the positions kept and a fraction ``m`` of pedestrian cells, the
    expected intersection is ``top * m`` and the union ``top + m - top * m``.
    """
    union = top + mask_fraction - top * mask_fraction
    return top * mask_fraction / union if union > 0 else 0.


def plot(result: dict, path: str) -> None:
    """Bar plot of the pedestrian-channel share per layer."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    names = list(result['layers'])
    shares = [100 * result['layers'][n]['share'] for n in names]
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2, 3.2))
    ax.bar(names, shares, color='tab:red')
    for i, s in enumerate(shares):
        ax.text(i, s + 1, f'{s:.1f}%', ha='center', fontsize=8)
    ax.set_ylabel('pedestrian channels (%)')
    ax.set_ylim(0, 100)
    ax.set_title(f"top {100 * result['top']:g}% activations, IoU > {result['iou_thr']:g}, "
                 f"{result['num_images']} images", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = load_tool_config(args.config)
    model = MODELS.build(cfg.model)
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    else:
        model.init_weights()
    model.to(args.device).eval()
    loader_cfg = cfg.get(f'{args.split}_dataloader')
    loader_cfg = dict(loader_cfg, num_workers=0, persistent_workers=False)
    if args.split == 'train':
        loader_cfg['sampler'] = dict(type='DefaultSampler', shuffle=False)
        loader_cfg['batch_sampler'] = None
    loader = Runner.build_dataloader(loader_cfg)
    result = dissect(model, loader, args.num_images, args.top, args.iou_thr)
    json_path = osp.join(args.out_dir, 'dissection.json')
    write_bytes_atomic(json_path, json.dumps(result, indent=1).encode())
    plot(result, osp.join(args.out_dir, 'dissection.png'))
    for name, layer in result['layers'].items():
        share, cells = 100 * layer['share'], 100 * layer['mask_fraction']
        print(f"{name}: {layer['pedestrian_channels']}/{layer['channels']} pedestrian channels "
              f'({share:.1f}%), pedestrian cells {cells:.1f}%, '
              f"IoU of a random channel {layer['chance_iou']:.3f}")
    print(f'wrote {json_path} and dissection.png')
    return 0


if __name__ == '__main__':
    sys.exit(main())
