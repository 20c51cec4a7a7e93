# Copyright (c) mmped contributors. All rights reserved.
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

import mmengine
import numpy as np
import scipy.io as sio

from mmped.registry import DATASETS

from .pedestrian_attribute_base import mat_strings
from .reid_base import BaseReIDDataset, list_images

__all__ = ['CUHK03Dataset', 'parse_cuhk03_name', 'cuhk03_classic_splits']

CUHK03_NAME = re.compile(r'^(\d+)_(\d+)_(\d+)_(\d+)\.\w+$')


def parse_cuhk03_name(name: str) -> Tuple[int, int, int]:
    """``(camera pair, pid within the pair, view 1/2)`` of ``{pair}_{pid:03d}_{view}_{idx}.png``."""
    m = CUHK03_NAME.match(osp.basename(name))
    if m is None:
        raise ValueError(f'{name}: not a CUHK03 image name (pair_pid_view_index.png)')
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def cuhk03_classic_splits(identities: List[str], num_splits: int = 20, num_test: int = 100,
                          seed: int = 0) -> List[List[str]]:
    """Seeded test-identity sets of the classic CUHK03 protocol (1,367 train / 100 test ids).

    Args:
        identities (list[str]): All identity keys (``'pair_pid'``), 1,467 for CUHK03.
        num_splits (int): Number of splits. Defaults to 20.
        num_test (int): Test identities per split. Defaults to 100.
        seed (int): Seed. Defaults to 0.

    Returns:
        list[list[str]]: Sorted test identities of each split.
    """
    ids = sorted(set(identities))
    if num_test > len(ids):
        raise ValueError(f'num_test={num_test} exceeds the {len(ids)} identities')
    rng = np.random.default_rng(seed)
    return [sorted(ids[i] for i in rng.choice(len(ids), num_test, replace=False))
            for _ in range(num_splits)]


@DATASETS.register_module()
class CUHK03Dataset(BaseReIDDataset):
    """CUHK03 (Li et al., CVPR 2014): 1,467 identities from 5 camera pairs.

    ``protocol='new'`` (CUHK03-NP, Zhong et al. CVPR 2017): ``cuhk03_new_protocol_config_
    {labeled,detected}.mat`` with ``filelist``, ``labels``, ``camId`` (1/2), ``train_idx``,
    ``query_idx``, ``gallery_idx`` (1-based); 767 train / 700 test ids, evaluated with the
    Market protocol.

    ``protocol='classic'``: 20 splits of 1,367 train / 100 test identities; the query holds
    the test identities' view-1 images and the gallery their view-2 images, evaluated with
    ``ReIDMetric(protocol='cuhk03_classic')`` (single-gallery-shot, repeated draws). The
    official splits (``testsets`` of ``cuhk-03.mat``, MATLAB v7.3) are written, together with
    the crops (``images_labeled/``, ``images_detected/``), by
    ``tools/dataset_converters/cuhk03_mat_to_images.py`` as ``cuhk03_classic_splits.json``;
    pass that file as ``classic_split_file`` (see :meth:`load_classic_splits` for the
    accepted layouts). Without it, seeded random splits are drawn by
    :func:`cuhk03_classic_splits` (documented deviation from the literature). The
    image list comes from the new-protocol ``filelist`` when ``ann_file`` exists, else from
    the image folder.

    Pids: ``labels`` of the new protocol; in the classic protocol the index of ``'pair_pid'``
    among all identities (1-based).

    HP-net / JSTL split (Table 3 of HP-net: 1,360 identities, 1,160 train / 100 val / 100
    test): ``camera_pairs=(1, 2, 3)`` keeps the identities of the first three camera pairs
    (843 + 440 + 77 = 1,360, the set of Li et al.'s protocol), the test identities are those
    of the classic split, and ``num_val_ids=100`` holds out identities (seeded with
    ``seed + split_index``) from the remaining ones; ``split='val'`` loads their view-1
    images as query and view-2 images as gallery, for checkpoint selection.

    Args:
        data_root (str): Dataset root.
        split (str): ``'train'``, ``'val'`` (classic protocol with ``num_val_ids``),
            ``'query'``, ``'gallery'`` or ``'test'``.
        variant (str): ``'labeled'`` or ``'detected'`` boxes.
        protocol (str): ``'new'`` or ``'classic'``.
        ann_file (str, optional): New-protocol config; default
            ``cuhk03_new_protocol_config_<variant>.mat``.
        data_prefix (str | dict, optional): Image folder; default ``images_<variant>``.
        split_index (int): Classic split 0-19. Defaults to 0.
        classic_split_file (str, optional): JSON of the official classic splits (absolute,
            relative to the working directory, or relative to ``data_root``).
        num_splits (int): Generated classic splits. Defaults to 20.
        num_test_ids (int): Test identities of a generated classic split. Defaults to 100.
        seed (int): Seed of generated classic splits. Defaults to 0.
        camera_pairs (Sequence[int], optional): Classic protocol: keep the identities of these
            camera pairs only. Defaults to None (all five).
        num_val_ids (int): Classic protocol: identities held out of training as ``'val'``.
            Defaults to 0.
        **kwargs: See :class:`BaseReIDDataset`.
    """

    SPLITS = ('train', 'val', 'query', 'gallery', 'test')

    def __init__(self, data_root: str = '', split: str = 'train', variant: str = 'labeled',
                 protocol: str = 'new', ann_file: Optional[str] = None, data_prefix=None,
                 split_index: int = 0, classic_split_file: Optional[str] = None,
                 num_splits: int = 20, num_test_ids: int = 100, seed: int = 0,
                 camera_pairs: Optional[Sequence[int]] = None, num_val_ids: int = 0,
                 **kwargs) -> None:
        if split == 'val' and (protocol != 'classic' or num_val_ids <= 0):
            raise ValueError("split='val' needs protocol='classic' and num_val_ids > 0")
        self.camera_pairs = None if camera_pairs is None else tuple(int(p) for p in camera_pairs)
        self.num_val_ids = int(num_val_ids)
        if variant not in ('labeled', 'detected'):
            raise ValueError(f"variant must be 'labeled' or 'detected', got {variant!r}")
        if protocol not in ('new', 'classic'):
            raise ValueError(f"protocol must be 'new' or 'classic', got {protocol!r}")
        self.variant, self.protocol = variant, protocol
        self.split_index, self.seed = split_index, seed
        self.num_splits, self.num_test_ids = num_splits, num_test_ids
        self.classic_split_file = classic_split_file
        ann_file = ann_file or f'cuhk03_new_protocol_config_{variant}.mat'
        data_prefix = data_prefix if data_prefix is not None else f'images_{variant}'
        super().__init__(data_root=data_root, split=split, ann_file=ann_file,
                         data_prefix=data_prefix, **kwargs)

    def _read_config(self) -> Optional[dict]:
        if not osp.exists(self.ann_file):
            if self.protocol == 'new':
                raise FileNotFoundError(f'CUHK03 new-protocol config {self.ann_file} not found')
            return None
        mat = sio.loadmat(self.ann_file)
        for key in ('filelist', 'labels', 'camId', 'train_idx', 'query_idx', 'gallery_idx'):
            if key not in mat:
                raise KeyError(f'{self.ann_file}: field {key!r} is missing')
        cfg = dict(filelist=mat_strings(mat['filelist'], self.ann_file, 'filelist'),
                   labels=np.asarray(mat['labels']).ravel().astype(np.int64),
                   cams=np.asarray(mat['camId']).ravel().astype(np.int64) - 1)
        n = len(cfg['filelist'])
        for key in ('labels', 'cams'):
            if len(cfg[key]) != n:
                raise ValueError(f'{self.ann_file}: {key} has {len(cfg[key])} entries, '
                                 f'filelist has {n}')
        for key in ('train_idx', 'query_idx', 'gallery_idx'):
            idx = np.asarray(mat[key]).ravel().astype(np.int64) - 1
            if len(idx) and (idx.min() < 0 or idx.max() >= n):
                raise ValueError(f'{self.ann_file}: {key} has an index out of [1, {n}]')
            cfg[key.split('_')[0]] = idx
        return cfg

    def load_classic_splits(self) -> List[List[str]]:
        """Read ``classic_split_file``: the test identities of the classic splits.

        Accepted JSON: the output of ``tools/dataset_converters/cuhk03_mat_to_images.py``
        (a dict whose ``testsets`` holds the splits) or a bare list of splits. A split is a
        list of ``'pair_person'`` keys or of ``[pair, person]`` pairs (1-based, as the
        ``testsets`` rows of ``cuhk-03.mat``). A relative path that does not exist as given
        is looked up under ``data_root``.

        Returns:
            list[list[str]]: Per split, the ``'pair_person'`` keys.

        Raises:
            FileNotFoundError: When the file does not exist.
            ValueError: When the content is malformed (names the split and the entry).
        """
        path = self.classic_split_file
        if not osp.isabs(path) and not osp.exists(path) and self.data_root:
            path = osp.join(self.data_root, path)
        if not osp.exists(path):
            raise FileNotFoundError(
                f'CUHK03 classic split file {path} not found: write it with '
                'tools/dataset_converters/cuhk03_mat_to_images.py from cuhk-03.mat, or set '
                'classic_split_file=None for seeded random splits')
        content = mmengine.load(path)
        splits = content.get('testsets') if isinstance(content, dict) else content
        if not isinstance(splits, list) or not splits:
            raise ValueError(f'{path}: expected a list of splits or a dict with field '
                             f'"testsets", got {type(content).__name__}')
        keys = []
        for s, split in enumerate(splits):
            if not isinstance(split, list):
                raise ValueError(f'{path}: split {s} must be a list, got {split!r:.60}')
            out = []
            for e, entry in enumerate(split):
                if isinstance(entry, (list, tuple)) and len(entry) == 2:
                    entry = '_'.join(str(int(v)) for v in entry)
                if not isinstance(entry, str) or not re.fullmatch(r'\d+_\d+', entry):
                    raise ValueError(f'{path}: split {s}, entry {e}: expected '
                                     f"'pair_person' or [pair, person], got {entry!r}")
                pair, person = entry.split('_')
                out.append(f'{int(pair)}_{int(person)}')
            keys.append(out)
        return keys

    def load_items(self) -> List[Tuple[str, int, int, str]]:
        prefix = self.data_prefix.get('img_path', '')
        cfg = self._read_config()
        if self.protocol == 'new':
            return [(osp.join(prefix, cfg['filelist'][i]), int(cfg['labels'][i]),
                     int(cfg['cams'][i]), split)
                    for split in self.test_splits(self.split) for i in cfg[split]]
        names = cfg['filelist'] if cfg is not None else list_images(prefix)
        parsed = [parse_cuhk03_name(n) for n in names]
        if self.camera_pairs is not None:
            kept = [i for i, (pair, _, _) in enumerate(parsed) if pair in self.camera_pairs]
            names, parsed = [names[i] for i in kept], [parsed[i] for i in kept]
        keys = [f'{pair}_{pid}' for pair, pid, _ in parsed]
        identities = sorted(set(keys), key=lambda k: tuple(map(int, k.split('_'))))
        pid_of = {k: i + 1 for i, k in enumerate(identities)}
        if self.classic_split_file:
            splits = self.load_classic_splits()
        else:
            splits = cuhk03_classic_splits(identities, self.num_splits, self.num_test_ids,
                                           self.seed)
        if not 0 <= self.split_index < len(splits):
            raise ValueError(f'split_index {self.split_index} not in [0, {len(splits)})')
        test_ids = {str(k) for k in splits[self.split_index]}
        unknown = test_ids - set(pid_of)
        if unknown:
            raise ValueError(f'{self.classic_split_file}: split {self.split_index} names '
                             f'unknown identities {sorted(unknown)[:5]}')
        val_ids = self._val_identities([k for k in identities if k not in test_ids])
        held = {'val': val_ids}.get(self.split, test_ids)
        items = []
        for split in self.test_splits('test' if self.split == 'val' else self.split):
            for name, key, (_, _, view) in zip(names, keys, parsed):
                if split == 'train':
                    take = key not in test_ids and key not in val_ids
                else:
                    take = key in held and (split == 'query') == (view == 1)
                if take:
                    items.append((osp.join(prefix, name), pid_of[key], view - 1, split))
        return items

    def _val_identities(self, candidates: List[str]) -> set:
        """Seeded ``num_val_ids`` identities out of the non-test ones (classic protocol)."""
        if self.num_val_ids <= 0:
            return set()
        if self.num_val_ids >= len(candidates):
            raise ValueError(f'num_val_ids={self.num_val_ids} leaves no training identity '
                             f'out of {len(candidates)}')
        rng = np.random.default_rng(self.seed + self.split_index)
        return {candidates[i] for i in rng.choice(len(candidates), self.num_val_ids,
                                                   replace=False)}
