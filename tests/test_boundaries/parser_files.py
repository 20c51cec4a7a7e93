# Copyright (c) mmped contributors. All rights reserved.
"""Small-file helpers of the parser tests: write a file, match the start of a parse error."""
import re
from pathlib import Path


def write_file(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (parent folders created) and return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_prefix(path, record, field) -> str:
    """Regex of the start of :func:`mmped.datasets.parsers.common.parse_error`'s message,
    which names the file, the record and the field."""
    return re.escape(f"{path}: record {record}: field '{field}': ")
