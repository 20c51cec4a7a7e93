# Copyright (c) mmped contributors. All rights reserved.
"""Da-HAR pipeline: corner / centre crops, five-crop test crops, person-mask loading."""
import numpy as np
import pytest
from mmcv.transforms import Compose

from mmped.datasets.transforms import FiveCrop, LoadPersonMask, RandomCornerCrop
from mmped.datasets.transforms.attribute_crops import corner_crop_box


def _results(h=256, w=256):
    img = np.arange(h * w, dtype=np.float32).reshape(h, w)[..., None].repeat(3, -1)
    seg = np.zeros((h, w), np.uint8)
    seg[: h // 2, : w // 2] = 1  # top-left quadrant
    return dict(img=img, img_shape=(h, w), gt_seg_map=seg)


def test_corner_crop_boxes():
    assert corner_crop_box((256, 256), (224, 224), 'top_left') == (0, 0, 224, 224)
    assert corner_crop_box((256, 256), (224, 192), 'top_right') == (64, 0, 256, 224)
    assert corner_crop_box((256, 256), (128, 128), 'bottom_left') == (0, 128, 128, 256)
    assert corner_crop_box((256, 128), (224, 112), 'bottom_right') == (16, 32, 128, 256)
    assert corner_crop_box((256, 256), (168, 168), 'centre') == (44, 44, 212, 212)
    assert corner_crop_box((100, 100), (256, 128), 'centre') == (0, 0, 100, 100)  # clipped
    with pytest.raises(ValueError, match='position'):
        corner_crop_box((10, 10), (5, 5), 'middle')


def test_random_corner_crop_draws_paper_sizes_and_positions():
    np.random.seed(0)
    crop = RandomCornerCrop(scale=224)
    sizes, positions, shapes = set(), set(), set()
    for _ in range(300):
        out = crop(_results())
        assert out['img'].shape == (224, 224, 3) and out['img_shape'] == (224, 224)
        assert out['gt_seg_map'].shape == (224, 224)
        x1, y1, x2, y2 = out['crop_bbox'].astype(int)
        sizes.update((x2 - x1, y2 - y1))
        shapes.add((x2 - x1, y2 - y1))
        positions.add((x1 in (0, 256 - (x2 - x1), (256 - (x2 - x1)) // 2),
                       y1 in (0, 256 - (y2 - y1), (256 - (y2 - y1)) // 2)))
        if (x2 - x1, y2 - y1) == (224, 224):
            # unresized crop: pixel values identify the crop exactly
            np.testing.assert_array_equal(out['img'][..., 0],
                                          _results()['img'][y1:y2, x1:x2, 0])
    assert sizes == {256, 224, 192, 168, 128}
    assert positions == {(True, True)}
    # width and height are drawn independently (the paper's rule): non-square crops occur
    assert any(w != h for w, h in shapes)


def test_random_corner_crop_rap_keeps_aspect_ratio():
    np.random.seed(1)
    crop = RandomCornerCrop(scale=(112, 224), aspect_ratio=2.0, max_distort=0)
    for _ in range(50):
        out = crop(_results(256, 128))
        x1, y1, x2, y2 = out['crop_bbox']
        assert (y2 - y1) == 2 * (x2 - x1)
        assert out['img'].shape == (224, 112, 3)
    independent = RandomCornerCrop(max_distort=None)
    assert len(independent.index_pairs) == 25
    assert len(RandomCornerCrop(max_distort=1).index_pairs) == 13
    with pytest.raises(ValueError, match='positions'):
        RandomCornerCrop(positions=('left', ))


def test_mask_follows_the_crop():
    np.random.seed(2)
    crop = RandomCornerCrop(crop_sizes=(128, ), scale=128, positions=('top_left', ))
    out = crop(_results())
    assert out['gt_seg_map'].all()  # the top-left 128 x 128 quadrant is all person
    crop = RandomCornerCrop(crop_sizes=(128, ), scale=64, positions=('bottom_right', ))
    assert not crop(_results())['gt_seg_map'].any()


def test_five_crop_covers_corners_and_centre():
    crops = [FiveCrop(224, index=i)(_results()) for i in range(5)]
    boxes = [tuple(c['crop_bbox'].astype(int)) for c in crops]
    assert boxes == [(0, 0, 224, 224), (32, 0, 256, 224), (0, 32, 224, 256),
                     (32, 32, 256, 256), (16, 16, 240, 240)]
    assert [c['crop_position'] for c in crops][-1] == 'centre'
    for c, (x1, y1, x2, y2) in zip(crops, boxes):
        np.testing.assert_array_equal(c['img'], _results()['img'][y1:y2, x1:x2])
    assert FiveCrop((112, 224), index='centre', scale=56)(_results())['img'].shape == (56, 56, 3)
    with pytest.raises(ValueError, match='index'):
        FiveCrop(224, index=5)


def test_person_mask_from_files_and_box_fallback(tmp_path):
    import cv2

    (tmp_path / 'img' / 'a').mkdir(parents=True)
    (tmp_path / 'masks' / 'a').mkdir(parents=True)
    mask = np.zeros((20, 10), np.uint8)
    mask[10:] = 255
    cv2.imwrite(str(tmp_path / 'masks' / 'a' / 'p_2_4_12_24.png'), mask)
    load = LoadPersonMask(mask_dir='masks', img_dir='img', data_root=str(tmp_path),
                          name_template='{rel}_{x1}_{y1}_{x2}_{y2}.png')
    results = dict(img=np.zeros((40, 20, 3), np.uint8), img_path=str(tmp_path / 'img/a/p.jpg'),
                   bbox=np.array([2.2, 3.8, 12, 24], np.float32))
    out = load(dict(results))
    assert out['person_mask_source'] == 'file'
    assert out['gt_seg_map'].shape == (40, 20)  # resized to the crop
    assert out['gt_seg_map'][:20].sum() == 0 and out['gt_seg_map'][20:].all()

    # no file: the box in the crop frame (CropPersonBox recorded the crop box)
    other = dict(results, bbox=np.array([5, 5, 15, 25], np.float32),
                 crop_bbox=np.array([3, 1, 23, 41]))
    out = load(dict(other))
    assert out['person_mask_source'] == 'box'
    expected = np.zeros((40, 20), np.uint8)
    expected[4:24, 2:12] = 1
    np.testing.assert_array_equal(out['gt_seg_map'], expected)
    # pre-cropped datasets without a box: the whole crop
    rap = LoadPersonMask()(dict(img=np.zeros((8, 4, 3), np.uint8), img_path='x.png'))
    assert rap['gt_seg_map'].all()
    none = LoadPersonMask(mask_dir=str(tmp_path / 'masks'), fallback=None)(dict(other))
    assert 'gt_seg_map' not in none
    with pytest.raises(FileNotFoundError, match='not found'):
        LoadPersonMask(mask_dir=str(tmp_path / 'masks'), missing='error')(dict(other))


def test_person_mask_image_frame_is_cut_with_the_crop(tmp_path):
    import cv2

    full = np.zeros((40, 30), np.uint8)
    full[5:25, 10:20] = 1  # 0 / 1 masks are read as such
    cv2.imwrite(str(tmp_path / 'p.png'), full)
    load = LoadPersonMask(mask_dir=str(tmp_path), frame='image')
    out = load(dict(img=np.zeros((30, 20, 3), np.uint8), img_path='/data/p.jpg',
                    crop_bbox=np.array([5, 0, 25, 30])))
    np.testing.assert_array_equal(out['gt_seg_map'], full[0:30, 5:25])


def test_pipeline_keeps_mask_aligned_through_resize_crop_flip():
    pipeline = Compose([
        dict(type='mmpretrain.Resize', scale=(64, 64)),
        dict(type='RandomCornerCrop', crop_sizes=(64, ), scale=32),
        dict(type='mmpretrain.RandomFlip', prob=1.0, direction='horizontal'),
    ])
    img = np.zeros((100, 100, 3), np.uint8)
    img[:, :50] = 255
    seg = np.zeros((100, 100), np.uint8)
    seg[:, :50] = 1
    out = pipeline(dict(img=img, img_shape=(100, 100), gt_seg_map=seg))
    np.testing.assert_array_equal(out['gt_seg_map'].astype(bool), out['img'][..., 0] > 127)
    assert out['gt_seg_map'][:, -1].all() and not out['gt_seg_map'][:, 0].any()  # flipped


@pytest.mark.realdata
def test_rap_style_pipeline_on_real_pedestrian_crops():
    """The h / w = 2 training pipeline on real pedestrian crops (PA-100K images)."""
    from mmped.testing import shared_file

    img_path = shared_file('pa100k', 'data', '000001.jpg')
    pipeline = Compose([
        dict(type='LoadImageFromFile'),
        dict(type='LoadPersonMask'),  # no mask files: the whole crop is the person
        dict(type='mmpretrain.Resize', scale=(128, 256)),
        dict(type='RandomCornerCrop', scale=(112, 224), aspect_ratio=2.0, max_distort=0),
        dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='mmpretrain.ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
        dict(type='mmpretrain.PackInputs', algorithm_keys=('gt_seg_map', )),
    ])
    np.random.seed(0)
    out = pipeline(dict(img_path=str(img_path)))
    assert tuple(out['inputs'].shape) == (3, 224, 112)
    assert out['data_samples'].gt_seg_map.shape == (224, 112)
    assert out['data_samples'].gt_seg_map.all()
