# Copyright (c) mmped contributors. All rights reserved.
"""Miss-rate protocol rules the mutation check found unpinned, each on a hand-worked case.

The rules are those of :mod:`mmped.evaluation.functional.miss_rate` (Dollar's ``dbEval`` /
``bbGt``, CityPersons ``eval_MR_multisetup.py``, MLPD KAIST ``evaluation_script.py``):
per-field defaults of the GT records, image order, detection pre-filters, the shared pair
geometry of setups, the rounded reference points, the miss-rate floor and the result fields.
"""
import math
import warnings

import numpy as np
import pytest

from mmped.evaluation.functional import (
    MRProtocol,
    MRSetup,
    evaluate_miss_rate,
    get_mr_protocol,
    log_average_miss_rate,
    summarize_miss_rate,
)
from mmped.evaluation.functional.miss_rate import CITYPERSONS_PROTOCOL

INF = math.inf
ALL = dict(height_range=(0, INF), det_height_expand=None)


def _inst(xywh, **fields):
    """A GT instance (xyxy ``bbox``) with only the given optional fields."""
    x, y, w, h = xywh
    return dict(bbox=[x, y, x + w, y + h], **fields)


def _proto(*setups, **kw):
    kw.setdefault('max_dets', None)
    return MRProtocol('t', tuple(setups), **kw)


def _dets(rows):
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 5)
    return rows[:, :4], rows[:, 4]


def test_get_mr_protocol_errors_name_the_choices_and_overrides_apply():
    """Unknown presets / setups are refused with the available names; ``resize_dets`` and
    ``gt_prefiltered`` are written into every chosen setup."""
    with pytest.raises(KeyError, match="unknown miss-rate protocol 'nope'; choose from"):
        get_mr_protocol('nope')
    with pytest.raises(KeyError, match=r"unknown setups \['Tiny'\] for protocol 'caltech'; "
                       r"available: \['Reasonable'"):
        get_mr_protocol('caltech', setups=['Reasonable', 'Tiny'])
    proto = get_mr_protocol('caltech_new', resize_dets=True, gt_prefiltered=True)
    assert all(s.resize_dets is True and s.gt_prefiltered is True for s in proto.setups)
    assert all(s.gt_prefiltered is False for s in get_mr_protocol('caltech').setups)


def test_log_average_miss_rate_of_a_perfect_curve_is_zero_without_a_warning():
    """``log(0)`` is taken silently (``np.errstate(divide='ignore')``): a perfect point gives 0."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert log_average_miss_rate(np.array([0.0]), np.array([1.0]), np.array([.1, 1.])) == 0


def test_gt_records_checked_and_images_sorted_by_id():
    """Duplicate ids are refused; images are ordered by id, so a score tie between a FP on image
    'a' and a TP on image 'b' puts the FP first (global stable sort), whatever the list order;
    with ids of mixed types the given order is kept."""
    gt_b = dict(img_id='b', instances=[_inst([0, 0, 10, 20])])
    with pytest.raises(ValueError, match='^duplicate img_id in the ground truth$'):
        evaluate_miss_rate([gt_b, dict(gt_b)], {}, _proto(MRSetup('s', **ALL)))
    dets = {'b': _dets([[0, 0, 10, 20, .5]]), 'a': _dets([[50, 0, 10, 20, .5]])}
    gt = [gt_b, dict(img_id='a', instances=[])]
    r = evaluate_miss_rate(gt, dets, _proto(MRSetup('s', **ALL)))['s']
    np.testing.assert_allclose(r.fppi, [.5, .5])
    np.testing.assert_allclose(r.miss_rate, [1., 0.])
    gt_mixed = [dict(img_id=2, instances=[_inst([0, 0, 10, 20])]), dict(img_id='a', instances=[])]
    dets = {2: _dets([[0, 0, 10, 20, .5]]), 'a': _dets([[50, 0, 10, 20, .5]])}
    r = evaluate_miss_rate(gt_mixed, dets, _proto(MRSetup('s', **ALL)))['s']
    np.testing.assert_allclose(r.miss_rate, [0., 0.])  # image 2 (the TP) comes first


def test_instance_field_defaults():
    """Absent fields: ``ignore_flag`` 0, ``height`` = y2 - y1 (a given ``height`` wins),
    ``vis_ratio`` inf, ``occlusion`` -1; an absent ``condition`` is ''."""
    def num_gt(inst, setup, **img):
        gt = [dict(img_id=0, instances=[inst], **img)]
        return evaluate_miss_rate(gt, {}, _proto(setup))['s'].num_gt

    plain = _inst([0, 0, 10, 60])
    assert num_gt(plain, MRSetup('s', **ALL)) == 1
    tall = MRSetup('s', height_range=(50, 70), det_height_expand=None)
    assert num_gt(plain, tall) == 1  # height 60 from the box
    assert num_gt(_inst([0, 0, 10, 60], height=40), tall) == 0  # the given height is used
    assert num_gt(_inst([0, 0, 10, 40], height=60), tall) == 1
    assert num_gt(_inst([0, 20, 10, 40]), tall) == 0  # y2 - y1 = 40 < 50
    assert num_gt(_inst([0, 20, 10, 60]), tall) == 1  # y2 - y1 = 60, not y2 + y1
    assert num_gt(plain, MRSetup('s', vis_range=(0.2, 0.65), **ALL)) == 0  # inf > 0.65
    assert num_gt(plain, MRSetup('s', vis_range=(0.2, INF), **ALL)) == 1
    assert num_gt(plain, MRSetup('s', occlusions=(0, 1), **ALL)) == 0
    assert num_gt(plain, MRSetup('s', occlusions=(-1, ), **ALL)) == 1
    assert num_gt(plain, MRSetup('s', condition='', **ALL)) == 1
    assert num_gt(plain, MRSetup('s', condition='', **ALL), condition=None) == 1
    assert num_gt(plain, MRSetup('s', condition='day', **ALL)) == 0


def test_detection_inputs_shapes_unknown_images_and_integer_boxes():
    """Detections on images outside the GT are skipped (not the images after them); scores of
    any shape are flattened; a box / score count mismatch names the image; integer boxes are
    standardised in float (``bbApply('resize')`` moves x by a fractional amount)."""
    gt = [dict(img_id=k, instances=[_inst([0, 0, 10, 20])]) for k in (1, 2)]
    dets = {'x': _dets([[0, 0, 10, 20, .9]]), 1: _dets([[0, 0, 10, 20, .9]]),
            2: (np.array([[0, 0, 10, 20]]), np.array([[.8]]))}
    r = evaluate_miss_rate(gt, dets, _proto(MRSetup('s', **ALL)))['s']
    assert r.recall == 1.0 and r.num_images == 2
    with pytest.raises(ValueError, match="image 1: 2 boxes but 1 scores"):
        evaluate_miss_rate(gt, {1: (np.zeros((2, 4)), np.ones(1))}, _proto(MRSetup('s', **ALL)))
    # a 1 x 10 GT at x = 3 standardises to x = 1.45, w = 4.1 (2.45 / 0.45 for dets at x = 4 / 2):
    # IoU 31 / 51 >= 0.5 in float; truncated to integers (x = 1, w = 4 for the GT, or x = 0,
    # w = 4 for the det at x = 2) it is 25.5 / 55.5 < 0.5
    std = MRSetup('s', aspect_ratio=0.41, **ALL)
    gt_int = [dict(img_id=0, instances=[dict(bbox=[3, 0, 4, 10])])]
    for x in (4, 2):
        r = evaluate_miss_rate(gt_int, {0: (np.array([[x, 0, 1, 10]]), np.array([.9]))},
                               _proto(std))['s']
        assert r.recall == 1.0, x


def test_small_overlaps_count_with_a_low_threshold():
    """Any positive overlap is a candidate (``iw > 0``, ``ih > 0``): 0.5 px of overlap in x or
    in y gives IoU 5 / 195, a match at ``iou_thr=0.02``."""
    for gt_box in ([9.5, 0, 10, 10], [0, 9.5, 10, 10]):
        gt = [dict(img_id=0, instances=[_inst(gt_box)])]
        r = evaluate_miss_rate(gt, {0: _dets([[0, 0, 10, 10, .9]])},
                               _proto(MRSetup('s', **ALL), iou_thr=0.02))['s']
        assert r.recall == 1.0, gt_box


def test_filtered_detections_take_no_ground_truth():
    """A detection removed by the height pre-filter or by the image condition neither counts
    nor takes a GT away from a later, valid detection."""
    gt = [dict(img_id=0, instances=[_inst([0, 0, 40, 100])], condition='day'),
          dict(img_id=1, instances=[], condition='night')]
    # the 125-px det (IoU 0.8 with the GT, >= 100 * 1.25: filtered) comes first
    setup = MRSetup('s', height_range=(50, 100), det_height_expand=1.25, condition='day')
    dets = {0: _dets([[0, 0, 40, 125, .9], [0, 0, 40, 100, .8]]),
            1: _dets([[0, 0, 40, 100, .95]])}
    r = evaluate_miss_rate(gt, dets, _proto(setup))['s']
    assert r.num_images == 1
    np.testing.assert_allclose(r.fppi, [0.0])  # the night det and the 125-px det are dropped
    assert r.recall == 1.0


def test_setups_with_and_without_resizing_do_not_share_pair_geometry():
    """Pairs are cached across setups only when no setup resizes: a standardised setup before or
    after a plain one gets its own pairs (and GT standardisation only without prefiltered GT)."""
    gt = [dict(img_id=0, instances=[_inst([0, 0, 10, 100])])]
    # IoU 10 / 41 as they are; 1 once the GT is standardised to [-15.5, 0, 41, 100]
    dets = {0: _dets([[-15.5, 0, 41, 100, .9]])}
    plain, std = MRSetup('plain', **ALL), MRSetup('std', aspect_ratio=0.41, **ALL)
    for order in ((plain, std), (std, plain)):
        res = evaluate_miss_rate(gt, dets, _proto(*order))
        assert (res['plain'].recall, res['std'].recall) == (0.0, 1.0)
    pre = MRSetup('std', aspect_ratio=0.41, gt_prefiltered=True, **ALL)
    gt_pre = [dict(img_id=0, instances=[_inst([0, 0, 10, 100], ignore_flag=0)])]
    assert evaluate_miss_rate(gt_pre, dets, _proto(pre))['std'].recall == 0.0


def test_no_ground_truth_result_fields():
    """Without non-ignored GT: MR-2, MR-4 and recall are nan, the miss rate is nan after each
    counted detection, and the images still count."""
    gt = [dict(img_id=k, instances=[]) for k in range(2)]
    r = evaluate_miss_rate(gt, {0: _dets([[0, 0, 10, 20, .9]])}, _proto(MRSetup('s', **ALL)))['s']
    assert math.isnan(r.mr2) and math.isnan(r.mr4) and math.isnan(r.recall)
    assert r.num_gt == 0 and r.num_images == 2
    np.testing.assert_allclose(r.fppi, [.5])
    assert r.miss_rate.shape == (1, ) and np.isnan(r.miss_rate).all()


@pytest.mark.parametrize('decimals,expected', [(4, .5**(8 / 9)), (None, .5**(7 / 9))])
def test_rounded_reference_points(decimals, expected):
    """CityPersons' hard-coded points are 10^(-2:0.25:0) rounded to 4 decimals: 5 FPs on 281
    images (FPPI 0.017794) lie between 10^-1.75 = 0.017783 and its rounding 0.0178, so the
    rounded point sees the TP that follows them (recall 1/2) and the exact point does not."""
    gt = [dict(img_id=0, instances=[_inst([0, 0, 10, 20]), _inst([100, 0, 10, 20])])]
    gt += [dict(img_id=k, instances=[]) for k in range(1, 281)]
    rows = [[300 + 20 * k, 0, 10, 20, .9 - .01 * k] for k in range(5)] + [[0, 0, 10, 20, .5]]
    r = evaluate_miss_rate(gt, {0: _dets(rows)}, _proto(MRSetup('s', **ALL),
                                                        fppi_decimals=decimals))['s']
    assert r.mr2 == pytest.approx(expected, rel=1e-12)


def test_mr_floor_applies_to_mr4_too():
    """``mr_floor`` clamps the miss rate before the log at MR-4's points as at MR-2's."""
    gt = [dict(img_id=0, instances=[_inst([0, 0, 10, 20])])]
    r = evaluate_miss_rate(gt, {0: _dets([[0, 0, 10, 20, .9]])},
                           _proto(MRSetup('s', **ALL), mr_floor=1e-10))['s']
    assert r.mr2 == pytest.approx(1e-10) and r.mr4 == pytest.approx(1e-10)


def test_evaluate_miss_rate_default_protocol_and_setup_selection():
    """The default protocol is CityPersons; ``setups`` restricts a preset (by name) or a
    protocol object (kept in protocol order) without changing the values."""
    gt = [dict(img_id=0, instances=[_inst([0, 0, 30, 80], vis_ratio=1.0, height=80),
                                    _inst([100, 0, 30, 80], vis_ratio=0.3, height=80)])]
    dets = {0: _dets([[0, 0, 30, 80, .9], [300, 0, 30, 80, .8]])}
    full = evaluate_miss_rate(gt, dets)
    assert list(full) == ['Reasonable', 'Reasonable_small', 'Heavy', 'All']
    assert full['Reasonable'].recall == 1.0 and full['Heavy'].recall == 0.0
    by_name = evaluate_miss_rate(gt, dets, 'citypersons', setups=['All'])
    assert list(by_name) == ['All'] and by_name['All'].mr2 == full['All'].mr2
    by_obj = evaluate_miss_rate(gt, dets, CITYPERSONS_PROTOCOL, setups=['All', 'Heavy'])
    assert list(by_obj) == ['Heavy', 'All']
    assert [r.mr2 for r in by_obj.values()] == [full['Heavy'].mr2, full['All'].mr2]


def test_summarize_miss_rate_keys_and_recall_of_a_custom_protocol():
    """Percentages; MR-4 only on request; a preset given by name reports its recall key; a
    custom protocol reports the recall of its first evaluated setup."""
    gt = [dict(img_id=0, instances=[_inst([10, 10, 30, 80], occlusion=0, height=80),
                                    _inst([110, 10, 30, 80], occlusion=0, height=80)])]
    dets = {0: _dets([[10, 10, 30, 80, .9]])}
    res = evaluate_miss_rate(gt, dets, 'kaist', setups=['Reasonable-all'])
    assert summarize_miss_rate(res, 'kaist') == {'Reasonable-all': pytest.approx(50.0),
                                                 'recall-all': pytest.approx(50.0)}
    with_mr4 = summarize_miss_rate(res, 'kaist', mr4=True)
    assert with_mr4['Reasonable-all_MR-4'] == pytest.approx(100 * res['Reasonable-all'].mr4)
    assert with_mr4['Reasonable-all_MR-4'] == pytest.approx(50.0)
    custom = _proto(MRSetup('a', **ALL), MRSetup('b', height_range=(90, INF),
                                                 det_height_expand=None), recall_key='rec')
    out = summarize_miss_rate(evaluate_miss_rate(gt, dets, custom), custom)
    assert out['rec'] == pytest.approx(50.0) and set(out) == {'a', 'b', 'rec'}
