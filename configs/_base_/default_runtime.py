# Runtime settings shared by every mmped config: mmdet's, with mmped as the default scope.
# Dicts inherited from mmdet's file are built in the mmdet scope (`_scope_='mmdet'`): a config
# that swaps one of its hooks / the visualizer for an mmped type names it `mmped.<Type>`.
_base_ = 'mmdet::_base_/default_runtime.py'

default_scope = 'mmped'
