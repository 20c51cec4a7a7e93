# Copyright (c) mmped contributors. All rights reserved.
"""Count the training samples without a person-mask file before a masked-attention run."""
from typing import List, Optional, Tuple

import mmengine
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmped.datasets.transforms.person_mask import LoadPersonMask
from mmped.registry import HOOKS


def _leaf_datasets(dataset) -> List:
    if hasattr(dataset, 'datasets'):
        return [d for ds in dataset.datasets for d in _leaf_datasets(ds)]
    if hasattr(dataset, 'dataset') and not hasattr(dataset, 'pipeline'):
        return _leaf_datasets(dataset.dataset)
    return [dataset]


def count_mask_files(dataset) -> Tuple[int, int]:
    """``(samples with a person-mask file, samples)`` of a dataset's ``LoadPersonMask`` step.

    A sample counts as having a file when the first ``LoadPersonMask`` of its pipeline has a
    ``mask_dir`` and the file named for it exists; every other sample gets the box fallback
    (or no mask). Datasets whose pipeline has no ``LoadPersonMask`` contribute nothing.

    Args:
        dataset: A dataset or a wrapper (``ConcatDataset``, ``RepeatDataset``...).

    Returns:
        tuple[int, int]: Counts over the samples of pipelines that load person masks.
    """
    found = total = 0
    for leaf in _leaf_datasets(dataset):
        steps = [t for t in getattr(getattr(leaf, 'pipeline', None), 'transforms', [])
                 if isinstance(t, LoadPersonMask)]
        if not steps:
            continue
        if hasattr(leaf, 'full_init'):
            leaf.full_init()
        step, num = steps[0], len(leaf)
        total += num
        if step.mask_dir is None:
            continue
        found += sum(
            mmengine.fileio.exists(step.mask_path(leaf.get_data_info(i)),
                                   backend_args=step.backend_args) for i in range(num))
    return found, total


@HOOKS.register_module()
class PersonMaskCheckHook(Hook):
    """Log how many training samples fall back to box masks; refuse when all of them do.

    Da-HAR supervises its masked attention with pseudo person masks. Without mask files the
    box fallback paints the whole crop of a pre-cropped pedestrian image, so the target is all
    ones and the mask branch learns a pass-through. Before training, this hook counts the
    training samples whose mask file exists (see :func:`count_mask_files`) and logs it; when
    the model has a supervised mask branch (a module with ``with_mask=True``) and not one
    sample has a file, it raises unless ``allow_box_masks=True``. Write the files with
    ``tools/dataset_converters/make_person_masks.py``.

    Args:
        allow_box_masks (bool, optional): Train even when every sample falls back to a box
            mask. Defaults to None: the config's top-level ``allow_box_masks`` (False when
            absent), so ``--cfg-options allow_box_masks=True`` opts out.
    """

    priority = 'VERY_HIGH'

    def __init__(self, allow_box_masks: Optional[bool] = None) -> None:
        self.allow_box_masks = allow_box_masks

    def before_train(self, runner) -> None:
        """Count the mask files of the training set, log, and refuse an all-box run."""
        found, total = count_mask_files(runner.train_dataloader.dataset)
        if not total:
            return
        print_log(f'PersonMaskCheckHook: {found} of {total} training samples have a person '
                  f'mask file; {total - found} fall back to box masks', logger='current')
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        supervised = any(getattr(m, 'with_mask', False) is True for m in model.modules())
        allow = self.allow_box_masks
        if allow is None:
            allow = bool(getattr(runner, 'cfg', {}).get('allow_box_masks', False))
        if supervised and found == 0 and not allow:
            raise RuntimeError(
                f'None of the {total} training samples has a person mask file, so every mask '
                'target is a box (the whole crop for pre-cropped images) and the masked '
                'attention learns a pass-through. Write the masks with '
                'tools/dataset_converters/make_person_masks.py (see configs/dahar/README.md), '
                'or train on box masks deliberately with --cfg-options allow_box_masks=True.')
