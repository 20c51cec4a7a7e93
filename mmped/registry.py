# Copyright (c) mmped contributors. All rights reserved.
"""mmped registries: children of every MMDetection registry.

Each registry has ``parent=`` the mmdet registry of the same name, so unprefixed mmdet (and,
through mmdet, mmengine) types resolve under ``default_scope='mmped'``, and ``locations=`` that
name mmped's own module first and mmdet's second. The locations are what lets a plain mmdet
config say ``type='mmped.GDFLHead'`` without ``custom_imports``: mmengine imports
``mmped.registry`` for the ``mmped`` scope and then the listed modules, which register the
components.

More details: https://mmengine.readthedocs.io/en/latest/advanced_tutorials/registry.html
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS'
]


def _child(name: str, parent: Registry, sub: str) -> Registry:
    """A registry under ``parent`` that lazily imports ``mmped.<pkg>`` then ``mmdet.<sub>``.

    ``<pkg>`` is the top-level mmped sub-package of ``sub`` (mmped keeps e.g. all engine
    components in ``mmped.engine`` where mmdet splits them into ``engine.runner``,
    ``engine.optimizers``...), ``<sub>`` the module mmdet itself registers from.
    """
    return Registry(
        name, parent=parent, locations=[f'mmped.{sub.split(".")[0]}', f'mmdet.{sub}'])


# manage all kinds of runners like `EpochBasedRunner` and `IterBasedRunner`
RUNNERS = _child('runner', MMDET_RUNNERS, 'engine.runner')
# manage runner constructors that define how to initialize runners
RUNNER_CONSTRUCTORS = _child('runner constructor', MMDET_RUNNER_CONSTRUCTORS, 'engine.runner')
# manage all kinds of loops like `EpochBasedTrainLoop`
LOOPS = _child('loop', MMDET_LOOPS, 'engine.runner')
# manage all kinds of hooks like `CheckpointHook`
HOOKS = _child('hook', MMDET_HOOKS, 'engine.hooks')

# manage data-related modules
DATASETS = _child('dataset', MMDET_DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', MMDET_DATA_SAMPLERS, 'datasets.samplers')
TRANSFORMS = _child('transform', MMDET_TRANSFORMS, 'datasets.transforms')

# manage all kinds of modules inheriting `nn.Module`
MODELS = _child('model', MMDET_MODELS, 'models')
# manage all kinds of model wrappers like 'MMDistributedDataParallel'
MODEL_WRAPPERS = _child('model_wrapper', MMDET_MODEL_WRAPPERS, 'models')
# manage all kinds of weight initialization modules like `Uniform`
WEIGHT_INITIALIZERS = _child('weight initializer', MMDET_WEIGHT_INITIALIZERS, 'models')

# manage all kinds of optimizers like `SGD` and `Adam`
OPTIMIZERS = _child('optimizer', MMDET_OPTIMIZERS, 'engine.optimizers')
# manage optimizer wrappers like `OptimWrapper` and `AmpOptimWrapper`
OPTIM_WRAPPERS = _child('optim_wrapper', MMDET_OPTIM_WRAPPERS, 'engine.optimizers')
# manage constructors that customize the optimization hyperparameters.
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMDET_OPTIM_WRAPPER_CONSTRUCTORS, 'engine.optimizers')
# manage all kinds of parameter schedulers like `MultiStepLR`
PARAM_SCHEDULERS = _child('parameter scheduler', MMDET_PARAM_SCHEDULERS, 'engine.schedulers')

# manage all kinds of metrics
METRICS = _child('metric', MMDET_METRICS, 'evaluation')
# manage evaluator
EVALUATOR = _child('evaluator', MMDET_EVALUATOR, 'evaluation')

# manage task-specific modules like anchor generators and box coders
TASK_UTILS = _child('task util', MMDET_TASK_UTILS, 'models')

# manage visualizer
VISUALIZERS = _child('visualizer', MMDET_VISUALIZERS, 'visualization')
# manage visualizer backend
VISBACKENDS = _child('vis_backend', MMDET_VISBACKENDS, 'visualization')

# manage logprocessor
LOG_PROCESSORS = _child('log_processor', MMDET_LOG_PROCESSORS, 'engine')
