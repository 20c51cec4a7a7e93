# Copyright (c) mmped contributors. All rights reserved.
"""Initialise an HP-net stage-2 model from a stage-1 (M-net) checkpoint.

Stage 2 of HydraPlus-Net fine-tunes every AF-net branch starting from the M-net: this tool
builds the model of CONFIG, loads the M-net (``backbone.*``) from the stage-1 checkpoint,
copies the M-net blocks into the block copies of every AF-net branch and writes the result
(a plain ``state_dict`` checkpoint) to OUT, which the stage-2 config takes as ``load_from``.
Stage 3 needs no conversion: it loads the stage-2 checkpoint as it is.

Example::

    python tools/model_converters/hpnet_stage_init.py \
        configs/hpnet/hpnet-stage2_bninception_1xb32-10e_pa100k.py \
        work_dirs/hpnet-stage1_bninception_1xb32-30e_pa100k/epoch_30.pth \
        work_dirs/hpnet_pa100k_stage2_init.pth
"""
import argparse
import os
import os.path as osp
import tempfile

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

from mmped.registry import MODELS
from mmped.utils import register_all_modules
from mmped.utils.checkpoint import load_from_local


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('config', help='HP-net config (any stage; gives the branches)')
    parser.add_argument('checkpoint', help='stage-1 checkpoint (the trained M-net)')
    parser.add_argument('out', help='output checkpoint (must not exist)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as in tools/train.py')
    return parser.parse_args()


def convert(config: Config, checkpoint: str, out: str) -> None:
    """Write the stage-2 initial checkpoint.

    Args:
        config (Config): The HP-net config.
        checkpoint (str): Stage-1 checkpoint path.
        out (str): Output path; written atomically, never over an existing file.
    """
    if osp.exists(out):
        raise FileExistsError(f'{out} exists; refusing to overwrite it')
    if osp.abspath(out) == osp.abspath(checkpoint):
        raise ValueError('the output must differ from the input checkpoint')
    register_all_modules(init_default_scope=False)
    print(f'[1/4] building the model of {config.filename}')
    with DefaultScope.overwrite_default_scope(config.get('default_scope', 'mmped')):
        model_cfg = config.model.copy()
        model_cfg.pop('init_cfg', None)
        model_cfg.setdefault('backbone', {}).pop('init_cfg', None)
        model = MODELS.build(model_cfg)
    if not hasattr(model, 'init_af_net_from_mnet'):
        raise TypeError(f'{type(model).__name__} is not an HP-net model')
    # the attention modules and branch heads start from their configured init_cfg (e.g. the
    # heads' N(0, 0.01)): `load_from` restores this file after the runner's init_weights()
    model.init_weights()
    print(f'[2/4] loading the M-net from {checkpoint}')
    ckpt = load_from_local(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint}: no state_dict found')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    # the trunk (and, in the authors' layout, the M-net's FC 512 embedding trained in stage 1,
    # part of the stage-3 features); the M-net head is not used after stage 1
    parts = ('backbone.', 'mnet_embed.')
    mnet = {k: v for k, v in state.items() if k.startswith(parts)}
    expected = [k for k in model.state_dict() if k.startswith(parts)]
    missing = [k for k in expected if k not in mnet]
    if missing:
        raise KeyError(f'{checkpoint}: field {missing[0]!r} of the M-net is missing '
                       f'({len(missing)} of {len(expected)} backbone entries)')
    for key, value in mnet.items():
        target = model.state_dict().get(key)
        if target is not None and target.shape != value.shape:
            raise ValueError(f'{checkpoint}: field {key!r} has shape {tuple(value.shape)}, '
                             f'the model expects {tuple(target.shape)}')
    model.load_state_dict(mnet, strict=False)
    print(f'[3/4] copying the M-net blocks into {len(model.af_net)} AF-net branches')
    model.init_af_net_from_mnet()
    print(f'[4/4] writing {out}')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(out)), suffix='.pth.tmp')
    os.close(fd)
    try:
        torch.save({'state_dict': model.state_dict(),
                    'meta': dict(hpnet_stage_init=dict(source=osp.abspath(checkpoint),
                                                       config=config.filename))}, tmp)
        os.replace(tmp, out)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    convert(cfg, args.checkpoint, args.out)


if __name__ == '__main__':
    main()
