# Copyright (c) mmped contributors. All rights reserved.
"""model-index.yml (read by `mim search mmped`) lists every model config of every paper."""
import yaml

from mmped.testing import REPO_ROOT


def _models() -> list:
    index = yaml.safe_load((REPO_ROOT / 'model-index.yml').read_text())
    models = []
    for meta in index['Import']:
        data = yaml.safe_load((REPO_ROOT / meta).read_text())
        collections = {c['Name'] for c in data.get('Collections', [])}
        for model in data['Models']:
            assert model['In Collection'] in collections, model['Name']
            models.append(model)
    return models


def test_every_metafile_is_imported():
    listed = set(yaml.safe_load((REPO_ROOT / 'model-index.yml').read_text())['Import'])
    metafiles = (REPO_ROOT / 'configs').glob('*/metafile.yml')
    on_disk = {str(p.relative_to(REPO_ROOT)) for p in metafiles}
    assert listed == on_disk


def test_metafile_configs_exist_and_cover_the_config_folders():
    models = _models()
    configs = [m['Config'] for m in models]
    assert len(configs) == len(set(configs)), 'a config is listed twice'
    for config in configs:
        assert (REPO_ROOT / config).is_file(), config
    metafile_dirs = {p.parent for p in (REPO_ROOT / 'configs').glob('*/metafile.yml')}
    on_disk = {str(p.relative_to(REPO_ROOT)) for d in metafile_dirs for p in d.glob('*.py')}
    assert on_disk <= set(configs), sorted(on_disk - set(configs))
