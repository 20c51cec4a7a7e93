# Copyright (c) mmped contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope
from mmengine.config.utils import MODULE2PACKAGE


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all modules of mmped (and mmdet) into their registries.

    Args:
        init_default_scope (bool): Whether to set the default scope to ``'mmped'`` so that
            unprefixed types are looked up in mmped's registries first (and, through the
            parents, in mmdet's and mmengine's). Defaults to True.
    """
    import mmdet.utils

    mmdet.utils.register_all_modules(init_default_scope=False)

    import mmped.datasets  # noqa: F401,F403
    import mmped.engine  # noqa: F401,F403
    import mmped.evaluation  # noqa: F401,F403
    import mmped.models  # noqa: F401,F403
    import mmped.visualization  # noqa: F401,F403

    if not init_default_scope:
        return
    never_created = (DefaultScope.get_current_instance() is None
                     or not DefaultScope.check_instance_created('mmped'))
    if never_created:
        DefaultScope.get_instance('mmped', scope_name='mmped')
        return
    current_scope = DefaultScope.get_current_instance()
    if current_scope.scope_name != 'mmped':
        warnings.warn('The current default scope '
                      f'"{current_scope.scope_name}" is not "mmped", '
                      '`register_all_modules` will force the current '
                      'default scope to be "mmped". If this is not '
                      'expected, please set `init_default_scope=False`.')
        # avoid name conflict
        new_instance_name = f'mmped-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmped')


def register_config_package() -> None:
    """Let configs inherit mmped's configs with ``_base_ = 'mmped::<paper>/<config>.py'``.

    mmengine resolves ``pkg::`` bases only for the packages listed in its ``MODULE2PACKAGE``;
    this adds mmped (found through its installed ``mmped/.mim/configs``). Called by
    ``import mmped``.
    """
    MODULE2PACKAGE.setdefault('mmped', 'mmped')
