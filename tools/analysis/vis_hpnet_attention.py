# Copyright (c) mmped contributors. All rights reserved.
"""Draw HydraPlus-Net attention maps on an image: one row per MDA module (attention level),
one column per attention channel.

Example::

    python tools/analysis/vis_hpnet_attention.py \
        configs/hpnet/hpnet-stage3_bninception_1xb32-5e_pa100k.py crop.jpg \
        --checkpoint work_dirs/hpnet-stage3_bninception_1xb32-5e_pa100k/epoch_5.pth \
        --out attention.png
"""
import argparse
import os.path as osp
import warnings
from typing import List, Sequence

import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from mmped.registry import MODELS
from mmped.utils import register_all_modules
from mmped.utils.cli import add_model_args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visualise HP-net attention maps')
    parser.add_argument('config', help='HP-net config')
    parser.add_argument('image', help='pedestrian crop')
    parser.add_argument('--checkpoint', help='trained checkpoint (random weights if omitted)')
    parser.add_argument('--out', default='hpnet_attention.png', help='output image')
    parser.add_argument('--branches', type=int, nargs='+',
                        help='AF-net branch indices to draw (default: all)')
    add_model_args(parser)
    return parser.parse_args()


def compute_attention(cfg: Config, image: str, checkpoint: str = None,
                      branches: Sequence[int] = None, device: str = 'cpu'):
    """Run the test pipeline and the model on one image.

    Args:
        cfg (Config): HP-net config (its test pipeline prepares the image).
        image (str): Image path.
        checkpoint (str, optional): Checkpoint to load.
        branches (Sequence[int], optional): Branches to evaluate (default all).
        device (str): Torch device.

    Returns:
        tuple[np.ndarray, list[tuple[int, np.ndarray]], tuple[int, int]]: The network input
        as an RGB uint8 image (H, W, 3), per branch its attention level and map
        (L, H_i, W_i), and the original image size (to draw with its aspect ratio).
    """
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmped')):
        model_cfg = cfg.model.copy()
        if 'data_preprocessor' not in model_cfg and cfg.get('data_preprocessor'):
            model_cfg['data_preprocessor'] = cfg.data_preprocessor
        model = MODELS.build(model_cfg)
        if checkpoint:
            load_checkpoint(model, checkpoint, map_location='cpu')
        else:
            warnings.warn('no --checkpoint: drawing the attention of random weights')
        model.to(device).eval()
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        data = pipeline(dict(img_path=image, sample_idx=0))
    batch = model.data_preprocessor(pseudo_collate([data]), False)
    num = len(model.af_net)
    branches = list(range(num)) if branches is None else [b % num for b in branches]
    with torch.no_grad():
        _, _, alphas = model.extract_branch_feats(batch['inputs'], branches)
    shown = data['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # packed BGR -> RGB
    levels = [model.af_net[b].att_level for b in branches]
    ori_hw = tuple(mmcv.imread(image).shape[:2])
    return np.ascontiguousarray(shown).astype(np.uint8), [
        (lvl, a[0].cpu().numpy()) for lvl, a in zip(levels, alphas)], ori_hw


def draw(image: np.ndarray, maps: List[tuple], out: str, ori_hw: tuple = None) -> None:
    """Save a grid drawn by mmped's visualizer: per MDA module (row) the image and every
    attention channel overlaid on it (:func:`mmped.visualization.overlay_map_groups`).

    Args:
        image (np.ndarray): RGB image (H, W, 3) uint8.
        maps (list[tuple[int, np.ndarray]]): Attention level and map (L, H_i, W_i) per row.
        out (str): Output image path.
        ori_hw (tuple[int, int], optional): Original image size; the cells are drawn with its
            aspect ratio (the network input may be resized to a square).
    """
    from mmped.visualization import overlay_map_groups

    if ori_hw:
        h = image.shape[0]
        image = mmcv.imresize(image, (max(1, int(round(h * ori_hw[1] / ori_hw[0]))), h))
    groups = {f'alpha^{level + 1} #{row}': att for row, (level, att) in enumerate(maps)}
    grid = overlay_map_groups(image, groups, max_maps=max(m.shape[0] for _, m in maps))
    mmcv.imwrite(grid[..., ::-1], out)


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.image):
        raise FileNotFoundError(f'image {args.image} not found')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    image, maps, ori_hw = compute_attention(cfg, args.image, args.checkpoint, args.branches,
                                            args.device)
    draw(image, maps, args.out, ori_hw)
    print(f'attention maps of {len(maps)} MDA modules written to {args.out}')


if __name__ == '__main__':
    main()
