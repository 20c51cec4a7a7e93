# Copyright (c) mmped contributors. All rights reserved.
"""Pretrained weights named by URL / ``torchvision://`` / ``open-mmlab://``: local folders first,
then torch's cache, then the download; a clear error offline. No test touches the network."""
import os
import urllib.error

import pytest
import torch
from mmengine.runner import CheckpointLoader

from mmped.utils import (
    PretrainedWeightsNotFoundError,
    UnsafeCheckpointError,
    find_pretrained_file,
    pretrained_url,
)

URL = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Empty torch cache under tmp_path, no MMPED_CHECKPOINTS, downloads fail (and are counted)."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.delenv('MMPED_CHECKPOINTS', raising=False)
    monkeypatch.delenv('MMPED_OFFLINE', raising=False)  # tests/conftest.py sets it
    calls = []

    def no_network(url, dst, hash_prefix=None, progress=True):
        calls.append((url, dst, hash_prefix))
        raise urllib.error.URLError('no network')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    return calls


def _save(path, value: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'conv1.weight': torch.full((2, 2), value)}, path)


def test_names_resolve_to_the_published_urls():
    assert pretrained_url('torchvision://resnet50') == URL
    assert pretrained_url('torchvision://resnet101') == \
        'https://download.pytorch.org/models/resnet101-63fe2227.pth'
    assert pretrained_url('torchvision://vgg16') == \
        'https://download.pytorch.org/models/vgg16-397923af.pth'
    assert pretrained_url('open-mmlab://vgg16_caffe') == \
        'https://download.openmmlab.com/pretrain/third_party/vgg16_caffe-292e1171.pth'
    assert pretrained_url(URL) == URL
    with pytest.raises(ValueError, match='not a torchvision'):
        pretrained_url('checkpoints/resnet50.pth')


def test_search_order_is_mmped_checkpoints_then_torch_cache(offline, tmp_path, monkeypatch):
    first, second = tmp_path / 'a', tmp_path / 'b'
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    _save(cache / 'resnet50-0676ba61.pth', 3.0)
    assert find_pretrained_file(URL) == str(cache / 'resnet50-0676ba61.pth')
    _save(second / 'resnet50-0676ba61.pth', 2.0)
    monkeypatch.setenv('MMPED_CHECKPOINTS', os.pathsep.join([str(first), str(second)]))
    assert find_pretrained_file(URL) == str(second / 'resnet50-0676ba61.pth')
    _save(first / 'resnet50-0676ba61.pth', 1.0)
    # through mmengine, as an init_cfg / load_from string does it
    ckpt = CheckpointLoader.load_checkpoint('torchvision://resnet50')
    assert torch.equal(ckpt['conv1.weight'], torch.full((2, 2), 1.0))
    assert offline == []  # never downloaded


def test_offline_error_names_file_url_and_folders(offline, tmp_path, monkeypatch):
    monkeypatch.setenv('MMPED_CHECKPOINTS', str(tmp_path / 'weights'))
    with pytest.raises(PretrainedWeightsNotFoundError) as err:
        CheckpointLoader.load_checkpoint('open-mmlab://vgg16_caffe')
    message = str(err.value)
    for part in ('vgg16_caffe-292e1171.pth', pretrained_url('open-mmlab://vgg16_caffe'),
                 'MMPED_CHECKPOINTS', str(tmp_path / 'weights'),
                 str(tmp_path / 'torch_home' / 'hub' / 'checkpoints'), 'no network'):
        assert part in message, part
    # one attempt, into torch's cache, with the sha256 prefix of the file name checked
    (url, dst, hash_prefix), = offline
    assert dst == str(tmp_path / 'torch_home' / 'hub' / 'checkpoints' / 'vgg16_caffe-292e1171.pth')
    assert hash_prefix == '292e1171'


def test_download_lands_in_torch_cache_and_loads_weights_only(offline, tmp_path, monkeypatch):
    def fake_download(url, dst, hash_prefix=None, progress=True):
        _save(type(tmp_path)(dst), 5.0)

    monkeypatch.setattr(torch.hub, 'download_url_to_file', fake_download)
    ckpt = CheckpointLoader.load_checkpoint(URL)
    assert torch.equal(ckpt['conv1.weight'], torch.full((2, 2), 5.0))
    assert (tmp_path / 'torch_home' / 'hub' / 'checkpoints' / 'resnet50-0676ba61.pth').is_file()


def test_downloaded_file_with_pickled_code_is_refused(offline, tmp_path):
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), 'w'))

    torch.save({'conv1.weight': torch.zeros(1), 'x': Payload()}, cache / 'resnet50-0676ba61.pth')
    with pytest.raises(UnsafeCheckpointError, match='not a weights-only checkpoint'):
        CheckpointLoader.load_checkpoint('torchvision://resnet50')
    assert not marker.exists()


def test_mmped_offline_forbids_the_download_attempt(offline, monkeypatch):
    monkeypatch.setenv('MMPED_OFFLINE', '1')
    with pytest.raises(PretrainedWeightsNotFoundError, match='disabled by MMPED_OFFLINE'):
        CheckpointLoader.load_checkpoint('torchvision://resnet50')
    assert offline == []
    monkeypatch.setenv('MMPED_OFFLINE', '0')  # "0" means online
    with pytest.raises(PretrainedWeightsNotFoundError, match='no network'):
        CheckpointLoader.load_checkpoint('torchvision://resnet50')
    assert len(offline) == 1
