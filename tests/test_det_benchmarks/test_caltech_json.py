# Copyright (c) mmped contributors. All rights reserved.
"""The COCO-style Caltech json parser: records, ignore / visibility fields, and errors that
name the file, the record and the field."""
import json

import numpy as np
import pytest

from mmped.datasets.parsers import parse_caltech

IMAGES = [dict(id=1, file_name='set06_V000_I00029.jpg', width=640, height=480),
          dict(id=2, file_name='set06_V000_I00059.jpg')]


def _write(tmp_path, images=IMAGES, annotations=()):
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(dict(images=list(images), annotations=list(annotations))))
    return path


def test_records_fields_and_order(tmp_path):
    """Images in file order (default size 640 x 480); ``ignore`` or ``iscrowd`` marks an
    ignore box; ``vis_ratio >= 1`` and a missing one are the toolbox's ``inf``."""
    path = _write(tmp_path, annotations=[
        dict(id=7, image_id=2, bbox=[10, 20, 30, 60], vis_ratio=0.4),
        dict(id=8, image_id=2, bbox=[100, 20, 30, 60], iscrowd=1, vis_ratio=1.0),
        dict(id=9, image_id=1, bbox=[5, 5, 20, 50], ignore=1)])
    recs = parse_caltech(path)
    assert [(r['img_id'], r['file_name'], r['width'], r['height']) for r in recs] == [
        (1, 'set06_V000_I00029.jpg', 640, 480), (2, 'set06_V000_I00059.jpg', 640, 480)]
    a, b = recs[1]['instances']
    assert (a['bbox'], a['ignore_flag'], a['vis_ratio'], a['ann_id']) == (
        [10, 20, 40, 80], 0, 0.4, 7)
    assert (b['ignore_flag'], b['vis_ratio']) == (1, np.inf)
    assert recs[0]['instances'][0]['ignore_flag'] == 1
    assert recs[0]['instances'][0]['vis_ratio'] == np.inf


@pytest.mark.parametrize('images,annotations,match', [
    ([dict(id=1)], [], r"record image 0: field 'id/file_name': missing"),
    ([dict(id=1, file_name='a'), dict(id=1, file_name='b')], [],
     r"record image 1: field 'id': duplicate image id 1"),
    (IMAGES, [dict(image_id=3, bbox=[0, 0, 1, 1])],
     r"record annotation 0: field 'image_id': unknown image 3"),
    (IMAGES, [dict(image_id=1, bbox=[0, 0, 1, 1]), dict(image_id=1, bbox=[0, 0, -1, 1])],
     r"record annotation 1: field 'bbox': negative width/height"),
    (IMAGES, [dict(image_id=1, bbox=[0, 0, 1])], r"record annotation 0: field 'bbox'"),
    (IMAGES, [dict(image_id=1, bbox=[0, 0, 1, 1], vis_ratio='high')],
     r"record annotation 0: field 'vis_ratio'"),
])
def test_bad_input_names_file_record_and_field(tmp_path, images, annotations, match):
    path = _write(tmp_path, images, annotations)
    with pytest.raises(ValueError, match=match) as err:
        parse_caltech(path)
    assert str(path) in str(err.value)
