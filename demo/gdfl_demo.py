# Copyright (c) mmped contributors. All rights reserved.
"""GDFL end-to-end CPU demo: synthetic CityPersons-format data -> training -> miss rate -> images.

One command, no download::

    python demo/gdfl_demo.py            # writes ./demo_out

1. generates a small synthetic pedestrian dataset in the real CityPersons format
   (``tools/misc/make_synthetic_citypersons.py``; reused when already there),
2. evaluates the untrained reduced-width GDFL on its val split with mmped's ``MissRateMetric``
   (CityPersons protocol),
3. trains it for a few minutes on CPU with mmengine's Runner
   (``configs/gdfl/gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py``),
4. evaluates it again and prints both miss rates (lower is better),
5. writes val images with ground truth, detections and the small / large pedestrian attention
   maps to ``OUT/vis/``, and ``OUT/results.json``.
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(REPO, 'configs', 'gdfl',
                          'gdfl_vgg16-w0.125_1xb8-300i_synthetic-citypersons.py')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='GDFL CPU demo on synthetic CityPersons data')
    parser.add_argument('--out-dir', default='demo_out', help='output folder')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config\'s)')
    parser.add_argument('--num-train', type=int, default=240)
    parser.add_argument('--num-val', type=int, default=60)
    parser.add_argument('--threads', type=int, default=2, help='CPU threads for torch')
    parser.add_argument('--num-vis', type=int, default=8, help='val images to draw')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def _load_generator():
    path = osp.join(REPO, 'tools', 'misc', 'make_synthetic_citypersons.py')
    spec = importlib.util.spec_from_file_location('make_synthetic_citypersons', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_data(root: str, num_train: int, num_val: int, seed: int) -> None:
    """Generate the dataset unless ``root`` already holds one with the same parameters."""
    gen = _load_generator()
    manifest = osp.join(root, 'synthetic_citypersons.json')
    wanted = dict(num_train=num_train, num_val=num_val, seed=seed)
    if osp.exists(manifest):
        with open(manifest) as f:
            have = json.load(f)
        if all(have.get(k) == v for k, v in wanted.items()):
            print(f'[demo] reusing the synthetic dataset in {root}')
            return
    print(f'[demo] generating {num_train} + {num_val} synthetic CityPersons-format images '
          f'in {root}')
    gen.make_synthetic_citypersons(root, num_train, num_val, seed=seed, overwrite=True)


def evaluate(model, dataloader, evaluator) -> Dict[str, float]:
    """Miss rates of ``model`` on ``dataloader`` with the (real) MissRateMetric evaluator."""
    import torch
    model.eval()
    with torch.no_grad():
        for batch in dataloader:
            outputs = model.val_step(batch)
            evaluator.process(data_samples=outputs, data_batch=batch)
    return evaluator.evaluate(len(dataloader.dataset))


def _heat(att: np.ndarray, size) -> np.ndarray:
    import cv2
    att = cv2.resize(att.astype(np.float32), (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    return cv2.applyColorMap(np.clip(att * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_JET)


def visualise(model, dataset, out_dir: str, num: int, score_thr: float = 0.5) -> List[str]:
    """Draw GT (green), ignore regions (grey), detections (red) and attention maps."""
    import cv2
    import torch
    from mmengine.dataset import pseudo_collate
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    written = []
    for idx in range(min(num, len(dataset))):
        data = model.data_preprocessor(pseudo_collate([dataset[idx]]), False)
        with torch.no_grad():
            pred = model.predict(data['inputs'], data['data_samples'])[0]
            _, masks = model.extract_feat_and_masks(data['inputs'])
        img = cv2.imread(pred.img_path)
        canvas = img.copy()
        info = dataset.get_data_info(idx)
        for inst in info['instances']:
            x1, y1, x2, y2 = (int(round(v)) for v in inst['bbox'])
            colour = (160, 160, 160) if inst['ignore_flag'] else (0, 200, 0)
            cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, 1)
        inst = pred.pred_instances
        for box, score in zip(inst.bboxes[inst.scores > score_thr].tolist(),
                              inst.scores[inst.scores > score_thr].tolist()):
            x1, y1, x2, y2 = (int(round(v)) for v in box)
            cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 0, 255), 1)
            cv2.putText(canvas, f'{score:.2f}', (x1, max(8, y1 - 2)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.3, (0, 0, 255), 1)
        panels = [canvas]
        if masks is not None:
            probs = masks.softmax(1)[0].cpu().numpy()  # (S_c + 1, H, W)
            h, w = img.shape[:2]
            for k in range(1, probs.shape[0]):
                panel = cv2.addWeighted(img, 0.4, _heat(probs[k][:h, :w], (h, w)), 0.6, 0)
                cv2.putText(panel, ['', 'small', 'large'][k] if k < 3 else f'scale {k}', (3, 12),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
                panels.append(panel)
        path = osp.join(out_dir, f'{idx:03d}_{osp.basename(pred.img_path)}')
        cv2.imwrite(path, np.concatenate(panels, axis=1))
        written.append(path)
    return written


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
    start = time.time()
    import torch
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    from mmped.utils import register_all_modules
    register_all_modules()

    out_dir = osp.abspath(args.out_dir)
    data_root = osp.join(out_dir, 'data') + os.sep
    prepare_data(data_root, args.num_train, args.num_val, args.seed)

    cfg = Config.fromfile(args.config)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = data_root
    for evaluator in ('val_evaluator', 'test_evaluator'):
        cfg[evaluator].ann_file = osp.join(data_root, 'annotations', 'val_gt.json')
    if args.iters is not None:
        cfg.train_cfg.max_iters = args.iters
        cfg.train_cfg.val_interval = args.iters
        cfg.param_scheduler[-1].end = args.iters
        cfg.param_scheduler[-1].milestones = [int(args.iters * 0.8)]
        cfg.default_hooks.checkpoint.interval = args.iters
    iters = cfg.train_cfg.max_iters
    cfg.work_dir = osp.join(out_dir, 'work_dir')
    cfg.randomness = dict(seed=args.seed)
    # evaluation is done here, before and after training, with the same metric
    val_loader_cfg, val_evaluator_cfg = cfg.val_dataloader, cfg.val_evaluator
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    runner = Runner.from_cfg(cfg)
    val_loader = runner.build_dataloader(val_loader_cfg)
    results: Dict[str, object] = dict(config=osp.relpath(args.config, REPO), iters=iters)

    class _UntrainedEval(Hook):
        """Evaluate the freshly initialised model right before the first iteration."""

        def before_train(self, runner) -> None:
            metrics = evaluate(runner.model, val_loader, runner.build_evaluator(
                val_evaluator_cfg))
            results['untrained'] = metrics
            runner.model.train()

    runner.register_hook(_UntrainedEval(), priority='VERY_LOW')
    train_start = time.time()
    model = runner.train()
    results['train_seconds'] = round(time.time() - train_start, 1)
    results['trained'] = evaluate(model, val_loader, runner.build_evaluator(val_evaluator_cfg))
    results['vis'] = visualise(model, val_loader.dataset, osp.join(out_dir, 'vis'),
                               args.num_vis)
    results['total_seconds'] = round(time.time() - start, 1)
    with open(osp.join(out_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)

    key = 'pedestrian/Reasonable'
    before, after = results['untrained'], results['trained']
    print('\n[demo] miss rate (MR-2, %, lower is better) on the synthetic CityPersons val split')
    print(f'[demo] {"setup":<28}{"untrained":>12}{"trained":>12}')
    for name in before:
        print(f'[demo] {name:<28}{before[name]:>12.2f}{after[name]:>12.2f}')
    print(f'[demo] trained {iters} iterations in {results["train_seconds"]} s; '
          f'images with detections and attention maps in {osp.join(out_dir, "vis")}')
    if after.get(key, 100.0) >= before.get(key, 100.0):
        print('[demo] WARNING: training did not lower the Reasonable miss rate')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
