# Copyright (c) mmped contributors. All rights reserved.
"""Re-ID feature export: the embeddings of a folder of person crops to ``.npy`` + an index."""
import io
import json
import re
from pathlib import Path
from typing import Dict, Optional

import numpy as np
from torch import nn

from mmped.utils.fileio import write_bytes_atomic

from .attribute_reid import extract_reid_features
from .inputs import PathLike, check_out_dir, list_images, progress

__all__ = ['export_reid_features', 'load_reid_features']

# Market-1501 / DukeMTMC-reID crop names: <pid>_c<cam>s<seq>_<frame>_<k>.jpg (pid -1: junk)
_MARKET_NAME = re.compile(r'^(-?\d+)_c(\d+)')


def _identity(name: str) -> Dict[str, Optional[int]]:
    m = _MARKET_NAME.match(name)
    return dict(pid=int(m.group(1)), camid=int(m.group(2))) if m else dict(pid=None,
                                                                            camid=None)


def export_reid_features(model: nn.Module, folder: PathLike, out_dir: PathLike,
                         batch_size: int = 32, recursive: bool = False,
                         show_progress: bool = True) -> Dict[str, object]:
    """Embed every crop of ``folder`` and write ``features.npy`` and ``index.json``.

    ``features.npy``: float32 (N, D), row ``i`` is the crop ``index.json["items"][i]``
    (``{"row", "file" (relative to the folder), "pid", "camid"}``; identity and camera parsed
    from Market-1501-style names, else null).

    Args:
        model (nn.Module): A re-ID model from :func:`init_ped_classifier`.
        folder: Folder of crops.
        out_dir: Output folder (not the input folder).
        batch_size (int): Crops per forward pass.
        recursive (bool): Also read sub-folders.
        show_progress (bool): Show a progress bar.

    Returns:
        dict: ``features`` (N, D), ``features_file``, ``index_file``, ``items``.

    Raises:
        FileNotFoundError: The folder does not exist.
        ValueError: It holds no image; ``out_dir`` is the input folder.
    """
    folder = Path(folder)
    files = list_images(folder, recursive)
    out = check_out_dir(out_dir, [folder])
    feats = []
    chunks = [files[i:i + batch_size] for i in range(0, len(files), batch_size)]
    for chunk in progress(chunks, len(chunks), 're-ID features', show_progress):
        feats.append(extract_reid_features(model, [str(f) for f in chunk], batch_size))
    features = np.concatenate(feats).astype(np.float32)
    items = [dict(row=i, file=str(f.relative_to(folder)), **_identity(f.name))
             for i, f in enumerate(files)]
    buf = io.BytesIO()
    np.save(buf, features)
    write_bytes_atomic(out / 'features.npy', buf.getvalue())
    write_bytes_atomic(out / 'index.json', json.dumps(
        dict(root=str(folder.resolve()), dim=int(features.shape[1]), items=items),
        indent=1).encode())
    return dict(features=features, features_file=str(out / 'features.npy'),
                index_file=str(out / 'index.json'), items=items)


def load_reid_features(out_dir: PathLike):
    """Read what :func:`export_reid_features` wrote: ``(features (N, D), items)``.

    Raises:
        ValueError: The index and the feature rows disagree.
    """
    out = Path(out_dir)
    features = np.load(out / 'features.npy')
    index = json.loads((out / 'index.json').read_text())
    if len(index['items']) != len(features):
        raise ValueError(f'{out}: index.json lists {len(index["items"])} crops but '
                         f'features.npy has {len(features)} rows')
    return features, index['items']
