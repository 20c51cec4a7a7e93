# Copyright (c) mmped contributors. All rights reserved.
"""Input discovery and checks shared by the inference APIs: image folders, RGB-T folder
pairs, videos, progress bars, output folders that never overwrite an input."""
import os.path as osp
import re
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from tqdm import tqdm

__all__ = [
    'IMG_EXTENSIONS', 'VIDEO_EXTENSIONS', 'PathLike', 'list_images', 'expand_images',
    'read_image', 'pair_folders', 'pair_key', 'open_video', 'iter_video_frames', 'progress',
    'check_out_dir', 'is_video'
]

PathLike = Union[str, Path]
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg')
# modality tags of paired file names: set08_V000_I02159_visible.png / ..._lwir.png
_MODALITY_TAG = re.compile(r'[_\-.]?(visible|vis|rgb|lwir|thermal|ir)$', re.IGNORECASE)


def is_video(path: PathLike) -> bool:
    """Whether ``path`` has a video file extension."""
    return osp.splitext(str(path))[1].lower() in VIDEO_EXTENSIONS


def list_images(folder: PathLike, recursive: bool = False) -> List[Path]:
    """Image files of a folder, sorted by name.

    Raises:
        FileNotFoundError: ``folder`` does not exist / is not a folder.
        ValueError: It holds no image file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f'image folder {folder} does not exist')
    pattern = '**/*' if recursive else '*'
    files = sorted(p for p in folder.glob(pattern)
                   if p.is_file() and p.suffix.lower() in IMG_EXTENSIONS)
    if not files:
        raise ValueError(f'no image ({", ".join(IMG_EXTENSIONS)}) found in {folder}')
    return files


def expand_images(inputs: Union[PathLike, Sequence[PathLike]]) -> List[Path]:
    """Files of ``inputs``: an image, a folder of images, or a list of them.

    Raises:
        FileNotFoundError: An input does not exist.
        ValueError: A folder holds no image.
    """
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not items:
        raise ValueError('no input image given')
    out: List[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += list_images(p)
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f'input {p} does not exist')
    return out


def read_image(path: PathLike, channel_order: str = 'bgr') -> np.ndarray:
    """Read an image; raises a FileNotFoundError / ValueError naming the path."""
    if not osp.isfile(str(path)):
        raise FileNotFoundError(f'image {path} does not exist')
    img = mmcv.imread(str(path), channel_order=channel_order)
    if img is None:
        raise ValueError(f'cannot decode image {path}')
    return img


def pair_key(path: PathLike) -> str:
    """Name shared by the two images of a pair: the stem without a modality tag
    (``I00001.jpg`` -> ``I00001``, ``set08_V000_I02159_lwir.png`` -> ``set08_V000_I02159``)."""
    return _MODALITY_TAG.sub('', Path(path).stem)


def pair_folders(visible_dir: PathLike, lwir_dir: PathLike) -> List[Tuple[Path, Path]]:
    """Match the images of a visible and a thermal folder by name (KAIST ``visible/`` and
    ``lwir/``), modality tags ignored (:func:`pair_key`).

    Raises:
        FileNotFoundError: A folder is missing, or an image has no partner (the message names
            the image and the folder searched).
        ValueError: A folder is empty, or two images share a key.
    """
    sides = []
    for folder in (visible_dir, lwir_dir):
        keyed = {}
        for p in list_images(folder):
            key = pair_key(p)
            if key in keyed:
                raise ValueError(f'{keyed[key]} and {p} both pair as {key!r}')
            keyed[key] = p
        sides.append(keyed)
    vis, lwir = sides
    for a, b, folder in ((vis, lwir, lwir_dir), (lwir, vis, visible_dir)):
        missing = sorted(set(a) - set(b))
        if missing:
            raise FileNotFoundError(
                f'missing partner image: {a[missing[0]]} has no image named {missing[0]}* in '
                f'{folder} ({len(missing)} unpaired)')
    return [(vis[k], lwir[k]) for k in sorted(vis)]


def open_video(path: PathLike) -> Tuple[cv2.VideoCapture, float, int]:
    """Open a video; returns the capture, its fps (25 when unknown) and frame count.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: OpenCV cannot decode it or its first frame.
    """
    if not osp.isfile(str(path)):
        raise FileNotFoundError(f'video {path} does not exist')
    cap = cv2.VideoCapture(str(path))
    ok = cap.isOpened()
    if ok:
        ok, _ = cap.read()
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    if not ok:
        cap.release()
        raise ValueError(f'cannot read video {path}: OpenCV decodes no frame from it')
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    return cap, float(fps), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))


def iter_video_frames(cap: cv2.VideoCapture) -> Iterator[np.ndarray]:
    """BGR frames of an opened capture until its end (the capture is released)."""
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


def progress(items: Iterable, total: Optional[int] = None, desc: str = '',
             enable: bool = True) -> Iterable:
    """A tqdm progress bar over ``items`` (or the items themselves when disabled)."""
    if not enable:
        return items
    return tqdm(items, total=total, desc=desc, unit='img', dynamic_ncols=True)


def check_out_dir(out_dir: PathLike, inputs: Sequence[PathLike]) -> Path:
    """Create ``out_dir``, refusing a folder that holds (or is) one of the inputs' folders.

    Raises:
        ValueError: ``out_dir`` is the folder of an input image (results would overwrite it).
    """
    out = Path(out_dir).resolve()
    parents = {Path(p).resolve().parent for p in inputs} | {
        Path(p).resolve() for p in inputs if Path(p).is_dir()}
    if out in parents:
        raise ValueError(f'output folder {out_dir} is an input folder; choose another one')
    out.mkdir(parents=True, exist_ok=True)
    return out
