# Copyright (c) mmped contributors. All rights reserved.
from pathlib import Path
from typing import Any, Dict, Optional, Union

import mmengine
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope


def evaluate_dumped_results(config: Union[str, Path], dump_file: Union[str, Path],
                            cfg_options: Optional[Dict[str, Any]] = None) -> Dict[str, float]:
    """Evaluate the predictions ``tools/test.py --out`` dumped with the config's test evaluator.

    The predictions are the data samples the evaluator received during the test run (as
    dicts), so the returned metrics are the ones that run must have reported: a test comparing
    the two checks that ``mim test`` evaluated the model's own outputs with the configured
    protocol, whatever values a tiny model happens to produce.

    Args:
        config (str | Path): Config file the test ran.
        dump_file (str | Path): Pickle written by ``--out``.
        cfg_options (dict, optional): The ``--cfg-options`` of the test run.

    Returns:
        dict[str, float]: Metric name (with its prefix, e.g. ``market1501/R1``) to value.
    """
    from mmped.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    samples = mmengine.load(str(dump_file))
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmped')):
        evaluator = Evaluator(cfg.test_evaluator)
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))
