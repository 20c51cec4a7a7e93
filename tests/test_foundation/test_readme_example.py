# Copyright (c) mmped contributors. All rights reserved.
"""The README's "mmped components in a plain mmdet config" example, run as it stands."""
import json
import re
import shutil

import pytest

from mmped.testing import REPO_ROOT, make_tiny_coco, run_mim

# only what makes it fast and offline; the model, data layout and loops are the README's
FAST = ['--cfg-options', 'model.backbone.init_cfg=None', 'train_cfg.max_epochs=1',
        'train_dataloader.dataset.times=1', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'val_dataloader.batch_size=2', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1']


def readme_block(heading: str) -> str:
    """The first ```python block after ``heading`` in README.md."""
    text = (REPO_ROOT / 'README.md').read_text()
    section = text[text.index(heading):]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


@pytest.mark.slow
def test_plain_mmdet_config_example_trains_validates_and_tests(tmp_path):
    config = readme_block('### mmped components in a plain mmdet config')
    assert "_base_ = 'mmdet::ssd/ssd300_coco.py'" in config
    user = tmp_path / 'user'
    data = make_tiny_coco(user / 'data' / 'my_pedestrians', num_images=4)
    (data / 'annotations').mkdir()
    for split in ('train', 'val'):
        shutil.copy(data / 'annotations.json', data / 'annotations' / f'{split}.json')
    (user / 'ssd300_gdfl_pedestrian.py').write_text(config)

    train = run_mim(['train', 'mmped', 'ssd300_gdfl_pedestrian.py', '--work-dir', 'work', *FAST],
                    cwd=user)
    assert 'Epoch(val)' in train.stdout + train.stderr  # validation ran after the epoch
    assert (user / 'work' / 'epoch_1.pth').is_file()
    run_mim(['test', 'mmped', 'ssd300_gdfl_pedestrian.py', '--checkpoint', 'work/epoch_1.pth',
             '--work-dir', 'work_test', *FAST], cwd=user)
    scalars, = (user / 'work_test').glob('*/*.json')
    assert 'coco/bbox_mAP' in json.loads(scalars.read_text())
