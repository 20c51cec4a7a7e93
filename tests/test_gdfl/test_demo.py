# Copyright (c) mmped contributors. All rights reserved.
"""The main demo command runs end to end (shrunk: 2 iterations on 4 + 2 tiny images)."""
import importlib.util
import json

from mmped.testing import REPO_ROOT


def test_gdfl_demo_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location('gdfl_demo', REPO_ROOT / 'demo' / 'gdfl_demo.py')
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    out = tmp_path / 'demo_out'
    code = demo.main(['--out-dir', str(out), '--iters', '2', '--num-train', '4', '--num-val', '2',
                      '--num-vis', '1', '--threads', '1'])
    results = json.loads((out / 'results.json').read_text())
    # exit code 1 = training did not lower the Reasonable MR (reported, not a crash), else 0
    key = 'pedestrian/Reasonable'
    assert code == int(results['trained'][key] >= results['untrained'][key])
    for key in ('untrained', 'trained'):
        assert set(results[key]) >= {'pedestrian/Reasonable', 'pedestrian/All'}
    assert results['iters'] == 2 and len(results['vis']) == 1
    assert (out / 'data' / 'annotations' / 'val_gt.json').is_file()
    assert (out / 'work_dir' / 'iter_2.pth').is_file()
    import cv2
    vis = cv2.imread(results['vis'][0])
    # detections panel + small + large attention panels side by side
    assert vis.shape[1] == 3 * 320 and vis.shape[0] == 160
