# Copyright (c) mmped contributors. All rights reserved.
"""Draw the attention maps of a GDFL / CA-GDFL detector on images (the paper's Figs. 1, 4, 9).

For every image (one file, or every image of a folder) the config's test pipeline prepares the
network input, the backbone runs, and the neck's attention is overlaid on the input:

* ``<stem>_<layer>.png`` for each detection layer (GDFL: the scale-aware spatial map encoded
  into that layer, eq. 1-2, e.g. the small-pedestrian map on conv4_3 / conv5_3; CA-GDFL: the
  channel mean of the layer's channel-adaptive attention, Fig. 9);
* GDFL only, ``<stem>_class<c>.png`` for each scale class ``c >= 1`` of the attention softmax
  at image size (Figs. 1 and 4: class 1 small, class 2 large pedestrians);
* ``<stem>_attention.npz`` with those maps as float32 arrays under the same names.

Overlays blend the JET-coloured map, resized to the network input, over the input with weight
``--alpha``; map values are probabilities and are drawn as such (not rescaled per map), so
layers can be compared. Without ``--checkpoint`` the model keeps its random initialisation (a
warning says so). The output folder must not be an input (neither the image, nor the input
folder or a folder inside it), and existing output files are never overwritten.

Examples::

    python tools/analysis/vis_gdfl_attention.py configs/gdfl/gdfl_vgg16_4xb8-12e_caltech.py \
        data/caltech/coco/images/set06_V002_I00089.jpg --checkpoint best.pth --out-dir vis/
    mim run mmped vis_gdfl_attention CONFIG IMAGE_OR_FOLDER --checkpoint CKPT --out-dir OUT
"""
import argparse
import io
import sys
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

from mmped.registry import MODELS
from mmped.utils import load_tool_config, register_all_modules, write_bytes_atomic
from mmped.visualization import overlay_heatmaps

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff')
NECKS = ('GraininessAttention', 'ChannelAdaptiveAttention')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Overlay GDFL / CA-GDFL attention maps')
    parser.add_argument('config', help='GDFL or CA-GDFL config')
    parser.add_argument('input', help='an image, or a folder of images (not recursive)')
    parser.add_argument('--checkpoint', help='trained weights (default: random init)')
    parser.add_argument('--out-dir', required=True, help='folder for the overlays')
    parser.add_argument('--alpha', type=float, default=0.5, help='weight of the heat map')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as in tools/train.py')
    return parser.parse_args(argv)


def list_images(path: Path) -> List[Path]:
    """The image, or the images of a folder sorted by name.

    Args:
        path (Path): Image file or folder.

    Returns:
        list[Path]: Image paths.
    """
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f'input {path} is neither an image nor a folder')
    images = sorted(p for p in path.iterdir()
                    if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise FileNotFoundError(f'input folder {path} holds no image ({", ".join(IMAGE_SUFFIXES)})')
    return images


def check_out_dir(out_dir: Path, input_path: Path) -> None:
    """Refuse an output folder that is the input image, the input folder or inside it.

    Args:
        out_dir (Path): Output folder.
        input_path (Path): The image or folder given as input.
    """
    out_r, in_r = out_dir.resolve(), input_path.resolve()
    if out_r == in_r or (in_r.is_dir() and in_r in out_r.parents):
        raise ValueError(f'--out-dir {out_dir} is the input {input_path} or inside it: choose '
                         'a folder outside the input')


def build_model(cfg, checkpoint: Optional[str], device: str) -> torch.nn.Module:
    """The config's detector in eval mode, with a GDFL / CA-GDFL attention neck.

    Args:
        cfg (Config): Detector config.
        checkpoint (str, optional): Weights; None keeps the initialisation (with a warning).
        device (str): Torch device.

    Returns:
        nn.Module: The model.
    """
    model = MODELS.build(cfg.model)
    neck = getattr(model, 'neck', None)
    if type(neck).__name__ not in NECKS:
        raise ValueError(f'{cfg.filename}: the model has no GDFL / CA-GDFL attention neck '
                         f'({", ".join(NECKS)}), got {type(neck).__name__}')
    if type(neck).__name__ == 'GraininessAttention' and not neck.with_attention:
        raise ValueError(f'{cfg.filename}: the neck is built with with_attention=False')
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu')
    else:
        warnings.warn('no --checkpoint: drawing the attention of randomly initialised weights')
        model.init_weights()
    return model.to(device).eval()


def layer_names(model: torch.nn.Module) -> List[str]:
    """Name of each detection layer: the backbone's ``out_layers`` entry, else ``L<j>``."""
    out_layers = getattr(model.backbone, 'out_layers', None)
    det = model.neck.det_indices
    if out_layers is not None and len(out_layers) == len(model.neck.in_channels):
        return [str(out_layers[k]) for k in det]
    return [f'L{j}' for j in range(len(det))]


@torch.no_grad()
def attention_maps(model: torch.nn.Module, inputs: torch.Tensor) -> Dict[str, np.ndarray]:
    """The neck's attention maps on a preprocessed batch of one image.

    Args:
        model (nn.Module): Detector with a GDFL / CA-GDFL neck, in eval mode.
        inputs (Tensor): Data preprocessor output (1, 3, H, W).

    Returns:
        dict[str, np.ndarray]: Name -> (h, w) float32 map in [0, 1]: one per detection layer
        (named as :func:`layer_names`), and for GDFL ``class<c>`` per scale class ``c >= 1``.
    """
    feats = model.backbone(inputs)
    maps = {name: m[0, 0].cpu().numpy()
            for name, m in zip(layer_names(model), model.neck.attention_maps(feats))}
    if type(model.neck).__name__ == 'GraininessAttention':
        probs = model.neck.attention_logits(feats).softmax(dim=1)[0]
        maps.update({f'class{c}': probs[c].cpu().numpy() for c in range(1, probs.shape[0])})
    return {k: v.astype(np.float32) for k, v in maps.items()}


def overlays(image: np.ndarray, maps: Dict[str, np.ndarray], alpha: float
             ) -> Dict[str, np.ndarray]:
    """Each map resized to the image and blended over it (values drawn as probabilities).

    Args:
        image (np.ndarray): RGB network input (H, W, 3) uint8.
        maps (dict[str, np.ndarray]): Name -> (h, w) map in [0, 1].
        alpha (float): Weight of the heat map.

    Returns:
        dict[str, np.ndarray]: Name -> (H, W, 3) uint8 RGB overlay.
    """
    return {name: overlay_heatmaps(image, m, alpha, already_prob=True)[0]
            for name, m in maps.items()}


def output_names(model: torch.nn.Module) -> List[str]:
    """The map names :func:`attention_maps` returns for ``model``."""
    names = layer_names(model)
    if type(model.neck).__name__ == 'GraininessAttention':
        names += [f'class{c}' for c in range(1, model.neck.num_attention_maps)]
    return names


def visualise(cfg, input_path: str, out_dir: str, checkpoint: Optional[str] = None,
              alpha: float = 0.5, device: str = 'cpu') -> List[Path]:
    """Write the overlays and maps of every input image (see the module docstring).

    Args:
        cfg (Config): GDFL / CA-GDFL config (its test pipeline prepares the images).
        input_path (str): Image or folder.
        out_dir (str): Output folder (created; must not be an input).
        checkpoint (str, optional): Weights (default: random initialisation).
        alpha (float): Heat-map weight. Defaults to 0.5.
        device (str): Torch device. Defaults to 'cpu'.

    Returns:
        list[Path]: The written files.
    """
    in_path, out = Path(input_path), Path(out_dir)
    images = list_images(in_path)
    check_out_dir(out, in_path)
    stems = [img.stem for img in images]
    twice = sorted({st for st in stems if stems.count(st) > 1})
    if twice:
        raise ValueError(f'input images share the names {twice} (outputs are named by stem)')
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmped')):
        model = build_model(cfg, checkpoint, device)
        pipeline = Compose([t for t in cfg.test_dataloader.dataset.pipeline
                            if t['type'].split('.')[-1] != 'LoadAnnotations'])
    planned = [out / f'{img.stem}_{n}.png' for img in images for n in output_names(model)]
    planned += [out / f'{img.stem}_attention.npz' for img in images]
    inputs = {img.resolve() for img in images}
    clash = [p for p in planned if p.resolve() in inputs]
    if clash:
        raise ValueError(f'output {clash[0]} is an input image: choose another --out-dir')
    existing = [p for p in planned if p.exists()]
    if existing:
        raise FileExistsError(f'{len(existing)} of {len(planned)} output files exist already '
                              f'(first: {existing[0]}): choose another --out-dir')
    written = []
    for i, img in enumerate(images):
        data = pipeline(dict(img_path=str(img), img_id=img.stem, sample_idx=i))
        batch = model.data_preprocessor(pseudo_collate([data]), False)
        maps = attention_maps(model, batch['inputs'])
        # the packed network input is BGR uint8 (LoadImageFromFile, resized)
        shown = np.ascontiguousarray(data['inputs'].permute(1, 2, 0).numpy()[..., ::-1])
        for name, drawn in overlays(shown.astype(np.uint8), maps, alpha).items():
            ok, png = cv2.imencode('.png', np.ascontiguousarray(drawn[..., ::-1]))
            if not ok:
                raise RuntimeError(f'{img}: PNG encoding of the {name} overlay failed')
            written.append(write_bytes_atomic(out / f'{img.stem}_{name}.png', png.tobytes()))
        npz = io.BytesIO()
        np.savez(npz, **maps)
        written.append(write_bytes_atomic(out / f'{img.stem}_attention.npz', npz.getvalue()))
    return written


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cfg = load_tool_config(args.config, args.cfg_options)
    written = visualise(cfg, args.input, args.out_dir, args.checkpoint, args.alpha, args.device)
    print(f'wrote {len(written)} files to {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
