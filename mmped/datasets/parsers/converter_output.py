# Copyright (c) mmped contributors. All rights reserved.
"""Output folders of the dataset converters: new files only, or files the converter wrote.

A converter names every file it will write before writing any; :class:`ConverterOutput`
then refuses (with nothing written) a target that is, or resolves to, an input file, a target
that is a symbolic link, and an existing target the converter did not write. What it wrote is
listed in a manifest in the output folder (``<converter>.manifest.json``: each file with its
size and modification time once written), so a later run may replace (``existing='replace'``)
or keep (``existing='keep'``, to resume) exactly those files and nothing else; a listed file
changed since is no longer the converter's. Every file is written atomically (temporary file
renamed into place) with the permissions ``open()`` gives.
"""
import json
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from mmped.utils.fileio import write_bytes_atomic

from .common import PathLike

EXISTING_MODES = ('error', 'replace', 'keep')


class ConverterOutput:
    """Guarded writes under one output folder.

    Args:
        root (str | Path): Output folder (created when absent; an existing file there is an
            error).
        converter (str): Converter name (the manifest is ``<converter>.manifest.json``).
        inputs (Sequence[str | Path]): Input files that no output may be or link to.
        existing (str): What to do with an existing target this converter wrote: ``'error'``
            (default), ``'replace'`` or ``'keep'``. Targets it did not write are always
            refused.
        hint (str): Appended to the message about a target this converter wrote (e.g. the
            option that replaces or keeps it).
    """

    def __init__(self, root: PathLike, converter: str, inputs: Sequence[PathLike] = (),
                 existing: str = 'error', hint: str = '') -> None:
        if existing not in EXISTING_MODES:
            raise ValueError(f'existing must be one of {EXISTING_MODES}, got {existing!r}')
        self.root = Path(root)
        if os.path.lexists(self.root) and not self.root.is_dir():
            raise ValueError(f'{self.root} exists and is not a folder')
        self.converter = converter
        self.inputs = {Path(p).resolve(): Path(p) for p in inputs}
        self.existing = existing
        self.hint = hint
        self.manifest = self.root / f'{converter}.manifest.json'
        self.files: Dict[str, Optional[List[int]]] = self._read_manifest()
        self.planned = False

    def _read_manifest(self) -> Dict[str, Optional[List[int]]]:
        if not os.path.lexists(self.manifest):
            return {}
        try:
            data = json.loads(self.manifest.read_bytes())
            files = data['files']
            if data.get('converter') != self.converter or not isinstance(files, dict):
                raise ValueError('not this converter\'s manifest')
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f'{self.manifest}: unreadable manifest ({err}); refusing to write '
                             'into this folder') from None
        return files

    def _ours(self, rel: str) -> bool:
        """Whether ``rel`` exists as this converter left it."""
        if rel not in self.files:
            return False
        stamp = self.files[rel]
        if stamp is None:  # planned by an interrupted run
            return True
        st = (self.root / rel).stat()
        return [st.st_size, st.st_mtime_ns] == stamp

    def plan(self, rels: Sequence[str], existing: Optional[str] = None,
             hint: Optional[str] = None) -> List[str]:
        """Check every target before anything is written, and record them in the manifest.

        Args:
            rels (Sequence[str]): Targets relative to the output folder (``/`` separated).
            existing (str, optional): Overrides the instance's ``existing`` for these targets.
            hint (str, optional): Overrides the instance's ``hint`` for these targets.

        Returns:
            list[str]: The targets to write (without those kept under ``existing='keep'``).
        """
        existing = self.existing if existing is None else existing
        hint = self.hint if hint is None else hint
        if existing not in EXISTING_MODES:
            raise ValueError(f'existing must be one of {EXISTING_MODES}, got {existing!r}')
        todo = []
        for rel in rels:
            path = self.root / rel
            real = path.resolve()
            if real in self.inputs or real == self.manifest.resolve():
                what = self.inputs.get(real, self.manifest)
                raise ValueError(f'{path}: refusing to overwrite input {what} (the output is, or '
                                 'links to, it)')
            if path.is_symlink():
                raise ValueError(f'{path} is a link; refusing to write through it')
            if os.path.lexists(path):
                if not path.is_file() or not self._ours(rel):
                    raise ValueError(f'{path} exists and was not written by {self.converter};'
                                     ' refusing to overwrite it')
                if existing == 'error':
                    raise ValueError(f'{path} exists (written by {self.converter}){hint}')
                if existing == 'keep':
                    continue
            todo.append(rel)
        for rel in todo:
            self.files[rel] = None
        self._write_manifest()
        self.planned = True
        return todo

    def write(self, rel: str, data: bytes) -> Path:
        """Write one planned target atomically.

        Args:
            rel (str): A target returned by :meth:`plan`.
            data (bytes): Its content.

        Returns:
            Path: The written file.
        """
        if not self.planned or rel not in self.files:
            raise ValueError(f'{self.root / rel} was not planned; call plan() first')
        path = write_bytes_atomic(self.root / rel, data)
        st = path.stat()
        self.files[rel] = [st.st_size, st.st_mtime_ns]
        return path

    def finish(self) -> None:
        """Record the written files' sizes and times in the manifest."""
        self._write_manifest()

    def _write_manifest(self) -> None:
        data = dict(converter=self.converter, files=dict(sorted(self.files.items())))
        write_bytes_atomic(self.manifest, json.dumps(data, indent=0).encode())
