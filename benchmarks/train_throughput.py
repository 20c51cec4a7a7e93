# Copyright (c) mmped contributors. All rights reserved.
"""Training throughput and peak memory of each paper's main model against its stock counterpart.

Every row builds a model from its config, feeds it batches made by that config's own training
pipeline (on a generated image of the dataset's native size) and times ``train_step`` (forward,
backward, optimizer step) on the chosen device; all rows run in one process, so the ratios
compare models under the same conditions. Counterparts:

- GDFL / CA-GDFL: mmdet's SSD300-VGG16 (one class) on GDFL's Caltech batches;
- DCRL teacher: mmdet's Faster R-CNN R50-FPN on the RGB batches of the DCRD student; the DCRD
  student against the teacher (the paper: at most 0.73x the teacher's time);
- BUFF: its OIM baseline (Faster R-CNN R50-C4 with an OIM re-ID head; the paper: +8.5 %);
- HP-net: the ResNet-50 multi-label attribute baseline on HP-net's PA-100K batches;
- Da-HAR: its plain ResNet-101 baseline (Table 1's first row) on WIDER-Attribute batches;
- the ResNet-50 re-ID baseline on Market-1501 batches for the HP-net re-ID stage 3.

Columns: training images/s; peak memory (CUDA ``max_memory_allocated``, or the growth of the
process's resident set on CPU, sampled every 5 ms); the time per image relative to the row's
counterpart; the training pipeline's images/s alone (one worker) and its ratio to training.
Weights are each model's own initialisation with the pretrained files left out (timing does
not depend on their values, and nothing is downloaded). On CPU the defaults are small
(batch 2, images at half their native size, 3 timed iterations); ``--scale 1
--batch-size 0`` uses the configs' own sizes and batches.

Example::

    python benchmarks/train_throughput.py                      # CPU, small
    python benchmarks/train_throughput.py --device cuda --amp --iters 20 --scale 1 --batch-size 0
"""
import argparse
import copy
import gc
import math
import os
import os.path as osp
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@dataclass
class Row:
    """One benchmarked model.

    Attributes:
        name: Row label.
        config: Config path (relative to the repository) or ``mmdet::`` / ``mmpretrain::`` name.
        data: Config whose training pipeline and batch size feed the model (default: ``config``).
        baseline: Name of the counterpart row the time ratio is taken against.
        native: (width, height) of the dataset's images.
        model_overrides: Keys merged into ``cfg.model`` (e.g. a stock model's class count).
        min_scale: Smallest image-size factor the model accepts (SSD300 needs about 300 px).
    """
    name: str
    config: str
    native: tuple
    data: Optional[str] = None
    baseline: Optional[str] = None
    model_overrides: Optional[dict] = None
    min_scale: float = 0.0


GDFL_CALTECH = 'configs/gdfl/gdfl_vgg16_4xb8-12e_caltech.py'
STUDENT = 'configs/dcrl/dcrd-student_vgg16_1xb2-150e_kaist-rgb.py'
HPNET_PA100K = 'configs/hpnet/hpnet-stage3_bninception_1xb32-5e_pa100k.py'
DAHAR_WIDER = 'configs/dahar/dahar_r101_1xb32-30e_wider-attribute.py'
ROWS = [
    Row('SSD300-VGG16 (mmdet)', 'mmdet::ssd/ssd300_coco.py', (640, 480), data=GDFL_CALTECH,
        model_overrides=dict(bbox_head=dict(num_classes=1)), min_scale=0.65),
    Row('GDFL', GDFL_CALTECH, (640, 480), baseline='SSD300-VGG16 (mmdet)', min_scale=0.65),
    Row('CA-GDFL', 'configs/gdfl/ca-gdfl_vgg16_4xb8-12e_caltech.py', (640, 480),
        baseline='SSD300-VGG16 (mmdet)', min_scale=0.65),
    Row('Faster R-CNN R50-FPN (mmdet)', 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        (640, 512), data=STUDENT,
        model_overrides=dict(roi_head=dict(bbox_head=dict(num_classes=1)))),
    Row('DCRL teacher', 'configs/dcrl/dcrl_vgg16_1xb2-100e_kaist.py', (640, 512),
        baseline='Faster R-CNN R50-FPN (mmdet)'),
    Row('DCRD distillation (teacher + student)', 'configs/dcrl/dcrd_vgg16_1xb2-150e_kaist.py',
        (640, 512), baseline='DCRL teacher', model_overrides=dict(require_teacher_ckpt=False)),
    Row('DCRD student alone (RGB)', STUDENT, (640, 512), baseline='DCRL teacher'),
    Row('OIM baseline R50-C4', 'configs/buff/baseline_r50_1xb4-5e_prw.py', (1920, 1080)),
    Row('BUFF', 'configs/buff/buff_r50_1xb4-5e_prw.py', (1920, 1080),
        baseline='OIM baseline R50-C4'),
    Row('ResNet-50 attributes', 'configs/par_baseline/par-baseline_r50_1xb64-30e_pa100k.py',
        (100, 250), data=HPNET_PA100K),
    Row('HP-net', HPNET_PA100K, (100, 250), baseline='ResNet-50 attributes'),
    Row('ResNet-101 attributes (Da-HAR baseline)',
        'configs/dahar/dahar-abl-baseline_r101_1xb32-30e_wider-attribute.py', (1024, 683)),
    Row('Da-HAR', DAHAR_WIDER, (1024, 683), baseline='ResNet-101 attributes (Da-HAR baseline)'),
    Row('ResNet-50 re-ID', 'configs/reid_baseline/reid-baseline_r50_1xb64-120e_market1501.py',
        (64, 128), data='configs/hpnet/hpnet-stage3_bninception_1xb32-10e_market1501.py'),
    Row('HP-net re-ID', 'configs/hpnet/hpnet-stage3_bninception_1xb32-10e_market1501.py',
        (64, 128), baseline='ResNet-50 re-ID'),
]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision as `tools/train.py --amp` sets it up')
    parser.add_argument('--iters', type=int, default=None,
                        help='timed iterations per row (default: 20 on CUDA, 3 on CPU)')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--scale', type=float, default=None,
                        help='image size factor on native and pipeline sizes '
                             '(default: 1 on CUDA, 0.5 on CPU; SSD300 needs >= 0.47 on Caltech)')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='images per step; 0 = each config\'s own batch '
                             '(default: 0 on CUDA, 2 on CPU: BatchNorm heads need 2)')
    parser.add_argument('--configs', nargs='*', default=None,
                        help='run only rows whose name contains one of these strings '
                             '(counterparts of selected rows are added)')
    parser.add_argument('--threads', type=int, default=None, help='CPU threads for torch')
    parser.add_argument('--markdown', action='store_true', help='also print a markdown table')
    parser.add_argument('--breakdown', action='store_true',
                        help="also print each row's forward time per submodule (two levels)")
    return parser.parse_args(argv)


def select_rows(patterns: Optional[Sequence[str]]) -> List[Row]:
    """The rows matching ``patterns`` plus their counterparts, in table order."""
    if not patterns:
        return list(ROWS)
    by_name = {r.name: r for r in ROWS}
    wanted = {r.name for r in ROWS if any(p.lower() in r.name.lower() for p in patterns)}
    if not wanted:
        raise SystemExit(f'no row matches {patterns}; rows: {[r.name for r in ROWS]}')
    wanted |= {by_name[n].baseline for n in wanted if by_name[n].baseline}
    return [r for r in ROWS if r.name in wanted]


def load_config(name: str):
    """A repository config by path, or a stock one by ``mmdet::`` / ``mmpretrain::`` name."""
    from mmengine.config import Config
    if '::' not in name:
        return Config.fromfile(osp.join(REPO, name))
    with tempfile.NamedTemporaryFile('w', suffix='.py', delete=False) as f:
        f.write(f'_base_ = {name!r}\n')
    try:
        return Config.fromfile(f.name)
    finally:
        os.unlink(f.name)


def return_freed_memory_to_os() -> None:
    """Make glibc map every large block separately and unmap it when freed, so that the
    resident-set growth measured for a row is that row's peak, not a reuse of freed memory."""
    try:
        import ctypes
        libc = ctypes.CDLL('libc.so.6')
    except OSError:
        return
    m_mmap_threshold, m_trim_threshold = -3, -1
    libc.mallopt(m_mmap_threshold, 128 * 1024)
    libc.mallopt(m_trim_threshold, 128 * 1024)
    libc.malloc_trim(0)


def _scale_sizes(node, factor: float):
    """Scale every ``scale`` / ``crop_size`` / ``img_scale`` pair of a pipeline by ``factor``."""
    if isinstance(node, dict):
        return {k: (tuple(max(8, int(round(v * factor))) for v in val)
                    if k in ('scale', 'crop_size', 'img_scale') and isinstance(val, (list, tuple))
                    and all(isinstance(v, (int, float)) for v in val)
                    else _scale_sizes(val, factor))
                for k, val in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_scale_sizes(v, factor) for v in node)
    return node


def synthetic_results(folder: str, native: tuple, factor: float, num_attrs: int) -> dict:
    """A loader input for any of the configs: an image (and its thermal partner) on disk, two
    pedestrian boxes with person ids, a person box, attribute scores and a class label."""
    w, h = (max(16, int(round(s * factor))) for s in native)
    rng = np.random.default_rng(0)
    paths = []
    for stem in ('visible', 'lwir'):
        path = osp.join(folder, f'{stem}_{w}x{h}.jpg')
        cv2.imwrite(path, rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        paths.append(path)
    boxes = [[0.1 * w, 0.2 * h, 0.3 * w, 0.9 * h], [0.5 * w, 0.3 * h, 0.62 * w, 0.8 * h]]
    instances = [dict(bbox=b, bbox_label=0, ignore_flag=0, person_id=i, visibility=1.0)
                 for i, b in enumerate(boxes)]
    return dict(img_path=paths[0], lwir_path=paths[1], img_id=0, sample_idx=0, height=h,
                width=w, instances=instances, bbox=boxes[0], gt_label=0,
                gt_score=np.arange(num_attrs) % 2)


def build_pipeline(cfg, factor: float):
    from mmengine.dataset import Compose
    pipeline = cfg.train_dataloader.dataset.get('pipeline', cfg.get('train_pipeline'))
    return Compose(_scale_sizes(copy.deepcopy(list(pipeline)), factor))


class PeakRSS:
    """Peak resident-set growth of this process while the context is open (sampled)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def rss() -> int:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss() - self.start)
            time.sleep(self.interval)

    def __enter__(self) -> 'PeakRSS':
        self.start = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def without_pretrained_weights(node):
    """A model config with every pretrained-weight reference removed (nothing to download):
    ``init_cfg`` of type ``Pretrained`` and ``pretrained`` / ``pretrained_trunk`` keys."""
    if isinstance(node, dict):
        out = {}
        for key, val in node.items():
            if key in ('pretrained', 'pretrained_trunk'):
                val = None
            elif key == 'init_cfg' and isinstance(val, dict) and val.get('type') == 'Pretrained':
                val = None
            out[key] = without_pretrained_weights(val)
        return out
    if isinstance(node, (list, tuple)):
        return type(node)(without_pretrained_weights(v) for v in node)
    return node


def set_positive_ratios(model: torch.nn.Module, num_attrs: int) -> None:
    """Give ``pos_ratio='train_split'`` losses a ratio of 0.5 (what
    ``mmped.AttributePosRatioHook`` computes from the training split before a real run)."""
    for module in model.modules():
        if getattr(module, 'ratio_source', None) == 'train_split':
            module.set_pos_ratio(torch.full((num_attrs, ), 0.5))


def _sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


class ForwardTimer:
    """Wall time of the forward calls of a model's submodules, two levels deep.

    Forward pre- and post-hooks on every module at depth 1 and 2 (``backbone``,
    ``roi_head.bbox_head``, ...) accumulate the time between entering and leaving its
    ``forward``; a module called again while its call is open (recursion) is counted once.
    Backward time is not attributed (it is the step time minus the forward total). On CUDA the
    hooks synchronise, so use it for a breakdown, not for the throughput figures.

    Args:
        model (nn.Module): The model whose submodules are timed.
        device (str): Device of the model (synchronised around each call on CUDA).
    """

    def __init__(self, model: torch.nn.Module, device: str) -> None:
        self.device = device
        self.seconds: Dict[str, float] = {}
        self._open: Dict[str, float] = {}
        self._handles = []
        for name, module in model.named_modules():
            if name and name.count('.') <= 1:
                self._handles.append(module.register_forward_pre_hook(self._enter(name)))
                self._handles.append(module.register_forward_hook(self._leave(name)))

    def _enter(self, name: str):
        def hook(module, inputs):
            if name not in self._open:
                _sync(self.device)
                self._open[name] = time.perf_counter()
        return hook

    def _leave(self, name: str):
        def hook(module, inputs, output):
            if name in self._open:
                _sync(self.device)
                elapsed = time.perf_counter() - self._open.pop(name)
                self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
        return hook

    def remove(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()

    def shares(self, total: float, top: int = 8) -> List[str]:
        """Lines ``name: seconds (share of total)``, slowest first.

        Args:
            total (float): Time the shares are taken of (all timed steps).
            top (int): Number of lines. Defaults to 8.

        Returns:
            list[str]: The lines.
        """
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:top]
        return [f'{name}: {sec:.3f} s ({100 * sec / total:.1f} %)' for name, sec in ranked]


def run_row(row: Row, args, folder: str) -> dict:
    """Build, feed and time one row; returns its measurements (or the error)."""
    from mmengine.config import ConfigDict
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import build_optim_wrapper

    from mmped.engine.optimizers import amp_optim_wrapper_cfg
    from mmped.registry import MODELS
    cfg, data_cfg = load_config(row.config), load_config(row.data or row.config)
    if row.model_overrides:
        cfg.merge_from_dict(dict(model=row.model_overrides))
    batch = args.batch_size or data_cfg.train_dataloader.batch_size
    scale = max(args.scale, row.min_scale)
    pipeline = build_pipeline(data_cfg, scale)
    head = cfg.model.get('head') or {}
    results = synthetic_results(folder, row.native, scale, head.get('num_classes', 1))
    samples = [pipeline(copy.deepcopy(results)) for _ in range(batch)]
    start = time.perf_counter()
    for _ in range(args.iters * batch):
        pipeline(copy.deepcopy(results))
    pipe_ips = args.iters * batch / (time.perf_counter() - start)

    from mmengine.registry import DefaultScope
    scope = 'mmdet' if row.config.startswith('mmdet::') else 'mmped'
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(ConfigDict(without_pretrained_weights(cfg.model.to_dict())))
        model.init_weights()  # each model's own initialisation scheme, as a run starts with
        model = model.to(args.device).train()
        set_positive_ratios(model, head.get('num_classes', 1))
        wrapper_cfg = cfg.get('optim_wrapper', dict(optimizer=dict(type='SGD', lr=1e-3)))
        if args.amp:
            wrapper_cfg = amp_optim_wrapper_cfg(wrapper_cfg, args.device.startswith('cuda'))
        optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    data = pseudo_collate(samples)
    times = []
    if args.device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    with PeakRSS() as rss:
        for it in range(args.warmup + args.iters):
            _sync(args.device)
            t0 = time.perf_counter()
            losses = model.train_step(copy.deepcopy(data), optim_wrapper)
            _sync(args.device)
            if it >= args.warmup:
                times.append(time.perf_counter() - t0)
    breakdown = []
    if getattr(args, 'breakdown', False):  # separate steps: the hooks must not change the timed ones
        timer = ForwardTimer(model, args.device)
        start = time.perf_counter()
        for _ in range(args.iters):
            model.train_step(copy.deepcopy(data), optim_wrapper)
        _sync(args.device)
        breakdown = timer.shares(time.perf_counter() - start)
        timer.remove()
    loss = float(sum(v.detach() for k, v in losses.items() if 'loss' in k))
    memory = (torch.cuda.max_memory_allocated() if args.device.startswith('cuda') else rss.peak)
    step = statistics.median(times)
    input_shape = tuple(data['inputs'][0].shape) if isinstance(data['inputs'], list) else None
    return dict(ips=batch / step, step=step, batch=batch, memory=memory / 2**20, loss=loss,
                pipe_ips=pipe_ips, input_shape=input_shape, breakdown=breakdown,
                params=sum(p.numel() for p in model.parameters()) / 1e6)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    args = parse_args(argv)
    cuda = args.device.startswith('cuda')
    args.iters = args.iters or (20 if cuda else 3)
    args.scale = args.scale or (1.0 if cuda else 0.5)
    if args.batch_size is None:
        args.batch_size = 0 if cuda else 2
    if args.threads:
        torch.set_num_threads(args.threads)
    return_freed_memory_to_os()
    from mmped.utils import register_all_modules
    register_all_modules()
    torch.manual_seed(0)
    rows = select_rows(args.configs)
    results: Dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        for row in rows:
            try:
                results[row.name] = run_row(row, args, folder)
            except Exception as exc:  # one failing row must not hide the others
                results[row.name] = dict(error=f'{type(exc).__name__}: {exc}'[:200])
            gc.collect()
            return_freed_memory_to_os()
    device = torch.cuda.get_device_name() if cuda else f'CPU, {torch.get_num_threads()} threads'
    print(f'device: {device}; amp: {args.amp}; scale {args.scale}; iterations {args.iters} '
          f'(median step)')
    header = ('model', 'input', 'batch', 'params M', 'img/s', 'peak MB', 'time vs counterpart',
              'pipeline img/s', 'pipeline / train', 'loss')
    table = []
    for row in rows:
        r = results[row.name]
        if 'error' in r:
            table.append((row.name, '-', '-', '-', '-', '-', r['error'], '-', '-', '-'))
            continue
        base = results.get(row.baseline or '', {})
        ratio = (f"{r['step'] / r['batch'] / (base['step'] / base['batch']):.2f}x "
                 f'{row.baseline}' if 'step' in base else '-')
        table.append((row.name, 'x'.join(map(str, r['input_shape'] or ())), r['batch'],
                      f"{r['params']:.2f}", f"{r['ips']:.2f}", f"{r['memory']:.0f}", ratio,
                      f"{r['pipe_ips']:.1f}", f"{r['pipe_ips'] / r['ips']:.1f}",
                      f"{r['loss']:.3f}" if math.isfinite(r['loss']) else 'NON-FINITE'))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
    for line in (header, *table):
        print('  '.join(str(x).ljust(w) for x, w in zip(line, widths)))
    if args.breakdown:
        for row in rows:
            lines = results[row.name].get('breakdown')
            if lines:
                print(f'\n{row.name}: forward time per submodule, share of the training steps')
                print('\n'.join(f'  {line}' for line in lines))
    if args.markdown:
        print('\n| ' + ' | '.join(header) + ' |\n|' + '---|' * len(header))
        for line in table:
            print('| ' + ' | '.join(map(str, line)) + ' |')
    return results


if __name__ == '__main__':
    main()
