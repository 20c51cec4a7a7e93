# Copyright (c) mmped contributors. All rights reserved.
from typing import Any, Dict, List


def _format(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        brackets = '[]' if isinstance(value, list) else '()'
        return brackets[0] + ','.join(_format(v) for v in value) + brackets[1]
    return str(value)


def cfg_options_cli(opts: Dict[str, Any]) -> List[str]:
    """Turn ``{'a.b': 1, 'c': (1, 2)}`` into ``['--cfg-options', 'a.b=1', 'c=(1,2)']``.

    Lists and tuples keep their brackets, as mmengine's ``DictAction`` parses them.

    Args:
        opts (dict): Dotted config keys and their values.

    Returns:
        list[str]: Command-line arguments for ``tools/train.py`` / ``mim train``.
    """
    return ['--cfg-options', *(f'{key}={_format(value)}' for key, value in opts.items())]
