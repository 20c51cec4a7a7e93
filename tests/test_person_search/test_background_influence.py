# Copyright (c) mmped contributors. All rights reserved.
import json

import cv2
import numpy as np
import pytest

from mmped.datasets.cuhk_sysu import load_cuhk_sysu_protocol
from mmped.testing import REPO_ROOT, shared_file

TOOL = 'tools/dataset_converters/make_background_influence.py'


def _tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('mbi', REPO_ROOT / TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pixel_operations_exact():
    mod = _tool()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)
    fg = mod.foreground_mask(np.array([[1.0, 2.0, 4.0, 5.0]]), 6, 8)
    assert fg.sum() == 9 and fg[2:5, 1:4].all()
    mean = np.array([104, 116, 124], dtype=np.uint8)
    mb = mod.mean_background(img, fg)
    assert (mb[fg] == img[fg]).all() and (mb[~fg] == mean).all()
    mf = mod.mean_foreground(img, fg)
    assert (mf[~fg] == img[~fg]).all() and (mf[fg] == mean).all()
    rf = mod.random_foreground(img, fg, np.random.default_rng(1))
    assert (rf[~fg] == img[~fg]).all()
    pixels = {tuple(p) for p in img.reshape(-1, 3)}
    assert all(tuple(p) in pixels for p in rf[fg])  # drawn from the same image
    bg = np.zeros((3, 4, 3), np.uint8)  # resized to the frame
    rb = mod.paste_on_background(img, fg, bg)
    assert (rb[fg] == img[fg]).all() and (rb[~fg] == 0).all()


@pytest.mark.realdata
def test_prw_variants_on_real_frames(tmp_path):
    ann = shared_file('prw', 'alignps', 'train_pid.json')
    real = shared_file('prw', 'frames')
    frames = tmp_path / 'frames'  # three real frames (links) keep the test short
    frames.mkdir()
    for name in ('c1s1_001051.jpg', 'c3s1_000501.jpg', 'c1s1_009526.jpg'):
        (frames / name).symlink_to(real / name)
    bg_dir = tmp_path / 'bg'
    bg_dir.mkdir()
    cv2.imwrite(str(bg_dir / 'c2_empty.png'), np.full((108, 192, 3), 7, np.uint8))
    cv2.imwrite(str(bg_dir / 'c1_empty.png'), np.full((108, 192, 3), 250, np.uint8))
    out = tmp_path / 'out'
    mod = _tool()
    mod.main([str(ann), str(frames), str(out), '--skip-missing', '--background-dir',
              str(bg_dir), '--variants', 'MB', 'RB'])
    manifest = json.loads((out / 'manifest.json').read_text())
    assert manifest['variants']['MB']['num_images'] == 3
    rb = manifest['variants']['RB']['images']
    # a different camera's background: c1 frames get the c2 image and vice versa
    assert all(('c2_' in r['background']) == r['src'].startswith(('c1', 'c3')) for r in rb)
    data = json.loads(ann.read_text())
    img = next(i for i in data['images'] if i['file_name'] == 'c1s1_001051.jpg')
    boxes = [a['bbox'] for a in data['annotations'] if a['image_id'] == img['id']]
    src = cv2.imread(str(frames / 'c1s1_001051.jpg')).astype(int)
    mb = cv2.imread(str(out / 'MB' / 'c1s1_001051.jpg')).astype(int)
    x, y, w, h = (int(v) for v in boxes[0])
    inner = (slice(y + 2, y + h - 2), slice(x + 2, x + w - 2))
    assert np.abs(mb[inner] - src[inner]).mean() < 3  # foreground kept (jpeg)
    assert np.abs(mb[:5, :5] - [104, 116, 124]).max() <= 3  # corner = background = mean
    rbimg = cv2.imread(str(out / 'RB' / 'c1s1_001051.jpg')).astype(int)
    assert np.abs(rbimg[:5, :5] - 7).max() <= 3 and np.abs(rbimg[inner] - src[inner]).mean() < 3
    # new files only: a second run into the same folder is refused
    with pytest.raises(FileExistsError, match='refusing to overwrite'):
        mod.main([str(ann), str(frames), str(out), '--skip-missing', '--variants', 'MB'])
    with pytest.raises(SystemExit, match='inside the input'):
        mod.main([str(ann), str(frames), str(frames / 'x'), '--variants', 'MF'])


def test_cuhk_random_background(tmp_path, tiny_cuhk):
    mod = _tool()
    img_dir = tmp_path / 'imgs'
    img_dir.mkdir()
    images, anns = [], []
    boxes = {f's{i}.jpg': [[10 + i, 5, 20, 50], [50, 8, 18, 44]] for i in range(4, 7)}
    boxes['s7.jpg'] = [[30, 10, 10, 20]]
    for k, (name, bs) in enumerate(boxes.items()):
        cv2.imwrite(str(img_dir / name), np.full((64, 96, 3), 40 * k, np.uint8))
        images.append(dict(id=k, file_name=name, width=96, height=64))
        for j, b in enumerate(bs):
            anns.append(dict(id=len(anns), image_id=k, bbox=b, person_id=1 if j == 0 else -1))
    ann = tmp_path / 'test.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns)))
    protocol = tiny_cuhk / 'annotation' / 'test' / 'train_test' / 'TestG2.mat'
    out = tmp_path / 'out'
    manifest = mod.convert(str(ann), str(img_dir), str(out), ['RB'], 'cuhk-sysu',
                           protocol=str(protocol))
    (rec, ) = manifest['variants']['RB']['images']
    assert rec['scene'] == 's7.jpg'  # the only image outside the query's gallery
    assert rec['box'] == [30, 10, 40, 30]
    new_q = load_cuhk_sysu_protocol(str(out / 'RB' / 'TestG2.mat'))[0]
    assert new_q['img_name'] == osp_basename(rec['dst'])
    np.testing.assert_allclose(new_q['bbox'], [30, 10, 40, 30])
    assert new_q['gallery'] == ['s5.jpg', 's6.jpg']  # gallery unchanged
    pasted = cv2.imread(str(out / rec['dst']))
    assert (pasted[10:30, 30:40] == 0).all() and (pasted[0, 0] == 120).all()
    data = json.loads((out / 'RB' / 'annotations_rb.json').read_text())
    # the pasted box carries the query's identity (source id 1 = training label 0)
    assert data['images'][-1]['file_name'] == osp_basename(rec['dst'])
    assert data['annotations'][-1]['person_id'] == 0
    assert data['annotations'][-1]['bbox'] == [30, 10, 10, 20]


def osp_basename(path):
    import os.path as osp
    return osp.basename(path)


def test_prw_raw_release_files_as_input(tmp_path, tiny_prw):
    """``frame_test.mat`` with ``annotations/`` beside it, read as PRWDataset reads it."""
    mod = _tool()
    out = tmp_path / 'bi'
    mod.main([str(tiny_prw / 'frame_test.mat'), str(tiny_prw / 'frames'), str(out),
              '--variants', 'MF'])
    names = sorted(p.name for p in (out / 'MF').iterdir())
    assert names == sorted(f'c{1 + i % 2}s1_{i:06d}.jpg' for i in range(4))
    names = ['c1s1_000000.jpg']
    src = cv2.imread(str(tiny_prw / 'frames' / names[0])).astype(int)
    mf = cv2.imread(str(out / 'MF' / names[0])).astype(int)
    # the first person of frame 0 is the raw box x 8..24, y 10..50: filled with the mean
    assert np.abs(mf[12:48, 10:22] - [104, 116, 124]).max() <= 3
    assert np.abs(mf[55:, :] - src[55:, :]).mean() < 3  # background below the boxes kept
