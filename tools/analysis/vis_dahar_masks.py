# Copyright (c) mmped contributors. All rights reserved.
"""Visualise Da-HAR's masks on one person crop (the paper's Fig. 5, plus the coarse masks).

Panels: the input crop; the self-mask of every stage that has one (coarse step); the
masked-attention mask (fine step, the one supervised by person masks); the confidence-weighted
attention maps ``sigmoid(S) * A`` of the ``--topk`` attributes with the highest fused scores.

Example::

    python tools/analysis/vis_dahar_masks.py \\
        configs/dahar/dahar_r101_1xb32-30e_wider-attribute.py work_dirs/dahar/epoch_30.pth \\
        data/WIDER-Attribute/Image/test/0--Parade/0_Parade_marchingband_1_465.jpg \\
        --bbox 120 40 260 380 --out-file masks.png
"""
import argparse
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmped.utils.cli import add_model_args


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visualise Da-HAR masks on a person crop')
    parser.add_argument('config', help='Da-HAR config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('img', help='image file')
    parser.add_argument('--bbox', type=float, nargs=4, metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='person box to crop (image pixels); default: the whole image')
    parser.add_argument('--input-size', type=int, nargs='+', default=[256],
                        help='network input: one side (square) or W H. Defaults to 256, the '
                        'full-patch test size of the paper')
    parser.add_argument('--topk', type=int, default=3,
                        help='attention maps of the K highest-scoring attributes')
    parser.add_argument('--out-file', default='dahar_masks.png', help='output image file')
    add_model_args(parser)
    return parser.parse_args()


def crop_person(img: np.ndarray, bbox: Optional[Sequence[float]]) -> np.ndarray:
    """Cut ``bbox`` (x1, y1, x2, y2, clipped to the image) out of ``img`` (H, W, 3)."""
    if bbox is None:
        return img
    h, w = img.shape[:2]
    x1, y1, x2, y2 = np.round(np.asarray(bbox, dtype=np.float64)).astype(int)
    x1, x2 = np.clip([x1, x2], 0, w)
    y1, y2 = np.clip([y1, y2], 0, h)
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f'bbox {list(bbox)} lies outside the {w}x{h} image')
    return img[y1:y2, x1:x2]


@torch.no_grad()
def dahar_masks(model: torch.nn.Module, crop_bgr: np.ndarray, topk: int) -> Dict:
    """Run Da-HAR on a crop and collect its masks.

    Args:
        model (nn.Module): A built :class:`mmped.models.DAHAR` in eval mode.
        crop_bgr (np.ndarray): The network input (H, W, 3), BGR uint8.
        topk (int): Number of attention maps to return.

    Returns:
        dict: ``scores`` (K,), ``self_masks`` {stage: (h, w)}, ``mask`` (h, w) or None,
        ``attention`` {attribute index: (h, w)}; all maps upsampled to (H, W), in [0, 1].
    """
    inputs = torch.from_numpy(np.ascontiguousarray(crop_bgr.transpose(2, 0, 1)))
    data = model.data_preprocessor(dict(inputs=[inputs]), False)
    out = model.forward_branches(data['inputs'])
    size = crop_bgr.shape[:2]

    def up(x: torch.Tensor) -> np.ndarray:
        return F.interpolate(x[None, None].float(), size=size, mode='bilinear',
                             align_corners=False)[0, 0].cpu().numpy()

    scores = model.predict_scores(data['inputs'])[0]
    result = dict(scores=scores.cpu().numpy(), mask=None, attention={},
                  self_masks={s: up(m[0].mean(0)) for s, m in out['self_masks'].items()})
    side = out['side']
    if side is not None:
        if side['mask_logits'] is not None:
            result['mask'] = up(side['mask_logits'][0, 0].sigmoid())
        weighted = side['attention'][0] * side['confidence'][0].sigmoid()  # (K, h, w)
        for k in torch.argsort(scores, descending=True)[:topk].tolist():
            att = weighted[k]
            result['attention'][k] = up(att / att.max().clamp(min=1e-12))
    return result


def draw(crop_rgb: np.ndarray, masks: Dict, names: List[str], out_file: str) -> None:
    """Save one row of panels drawn by mmped's visualizer (heat-map overlays): crop, self
    masks, masked-attention mask, attention maps."""
    from mmped.visualization import label_image, overlay_heatmaps, tile_images

    panels = [(f'self-mask after stage {s + 1}', m)
              for s, m in sorted(masks['self_masks'].items())]
    if masks['mask'] is not None:
        panels.append(('masked-attention mask', masks['mask']))
    panels += [(f'{names[k]} ({masks["scores"][k]:.2f})', m)
               for k, m in masks['attention'].items()]
    tiles = [label_image(crop_rgb, 'input')] + [
        overlay_heatmaps(crop_rgb, heat, titles=[title], already_prob=True)[0]
        for title, heat in panels]
    mmcv.imwrite(tile_images(tiles)[..., ::-1], out_file)


def main() -> None:
    args = parse_args()
    from mmped.registry import MODELS
    from mmped.utils import register_all_modules

    register_all_modules(init_default_scope=False)
    init_default_scope('mmped')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    if not hasattr(model, 'forward_branches'):
        raise TypeError(f'{args.config}: the model is {type(model).__name__}, not DAHAR')
    checkpoint = load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.to(args.device).eval()

    img = mmcv.imread(args.img)
    if img is None:
        raise FileNotFoundError(f'cannot read image {args.img}')
    size = args.input_size * 2 if len(args.input_size) == 1 else args.input_size[:2]
    crop = mmcv.imresize(crop_person(img, args.bbox), tuple(size))
    masks = dahar_masks(model, crop, args.topk)
    classes = checkpoint.get('meta', {}).get('dataset_meta', {}).get('classes')
    names = list(classes) if classes else [f'attr {i}' for i in range(len(masks['scores']))]
    draw(mmcv.bgr2rgb(crop), masks, names, args.out_file)
    print(f'saved {args.out_file}')


if __name__ == '__main__':
    main()
