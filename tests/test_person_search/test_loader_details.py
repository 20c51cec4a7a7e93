# Copyright (c) mmped contributors. All rights reserved.
"""Raw-format loader details: real CUHK-SYSU image sizes, PRW clipping in x, y, w, h."""
import numpy as np
import pytest
from mmdet.datasets.samplers import AspectRatioBatchSampler
from mmengine.dataset import DefaultSampler
from scipy.io import savemat

from mmped.datasets import CUHKSYSUDataset, PRWDataset
from mmped.utils import register_all_modules

from .conftest import CUHK_SIZES

register_all_modules(init_default_scope=True)


def test_cuhk_raw_reads_image_sizes(tiny_cuhk):
    kw = dict(data_root=str(tiny_cuhk), data_prefix=dict(img='Image/SSM/'),
              ann_file='annotation/Images.mat')
    for test_mode, names in ((False, ['s1.jpg', 's2.jpg', 's3.jpg']),
                             (True, ['s4.jpg', 's5.jpg', 's6.jpg'])):
        ds = CUHKSYSUDataset(test_mode=test_mode, **kw)
        infos = [ds.get_data_info(i) for i in range(len(ds))]
        assert [d['file_name'] for d in infos] == names
        assert [(d['width'], d['height']) for d in infos] == [CUHK_SIZES[n] for n in names]
    # aspect-ratio batching: the portrait s2 is grouped apart from the landscape s1 / s3
    train = CUHKSYSUDataset(**kw)
    sampler = AspectRatioBatchSampler(DefaultSampler(train, shuffle=False), batch_size=2)
    assert sorted(sorted(b) for b in sampler) == [[0, 2], [1]]


def test_cuhk_raw_missing_image_named(tiny_cuhk):
    (tiny_cuhk / 'Image' / 'SSM' / 's3.jpg').unlink()
    with pytest.raises(FileNotFoundError, match=r'Images.mat: Img\(3\): image .*s3.jpg'):
        CUHKSYSUDataset(data_root=str(tiny_cuhk), data_prefix=dict(img='Image/SSM/'),
                        ann_file='annotation/Images.mat')


def test_prw_raw_clips_xywh_before_corners(tiny_prw):
    """A box starting left of / above the frame keeps its width / height (reference loaders
    clip ``x, y, w, h`` at 0, then convert); clipping the corners would shrink it."""
    savemat(str(tiny_prw / 'annotations' / 'c1s1_000000.jpg.mat'),
            {'box_new': np.array([[7, -5, 10, 16, 40], [-2, 30, -3, 12, 30]], np.float64)})
    ds = PRWDataset(ann_file=str(tiny_prw / 'frame_train.mat'), data_root=str(tiny_prw),
                    data_prefix=dict(img='frames/'), frame_size=(96, 64))
    info = next(ds.get_data_info(i) for i in range(len(ds))
                if ds.get_data_info(i)['file_name'] == 'c1s1_000000.jpg')
    assert [i['bbox'] for i in info['instances']] == [[0.0, 10.0, 16.0, 50.0],
                                                      [30.0, 0.0, 42.0, 30.0]]
