# Copyright (c) mmped contributors. All rights reserved.
"""Let openmim find the tools and configs of an editable install.

``mim train|test|run mmped ...`` (openmim 0.3.9) runs ``<location>/mmped/.mim/tools/...``,
where ``<location>`` is the folder holding mmped's ``.dist-info``. A regular install copies
``.mim`` there. A PEP 660 editable install (``pip install -e .``, ``uv pip install -e .``) leaves
the package in the source tree and imports it through a finder hook, so ``site-packages/mmped``
does not exist and every mim command fails with "doesn't exist" or ``UnboundLocalError``.

``python -m mmped.utils.editable_install`` (run by ``tools/install_env.sh``) links
``site-packages/mmped`` to the source package: mim then finds ``.mim`` (itself links into the
checkout, made by ``setup.py``), and ``import mmped`` resolves to the same source files as
before. The link is added to the distribution's ``RECORD`` so that ``pip uninstall mmped``
removes it with the rest of the install (a stale link would make a later regular install write
through it into the checkout). For a regular install it does nothing.
"""
import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse


def _editable_source(dist: metadata.Distribution) -> Optional[Path]:
    """The checkout of an editable install, or None for a regular one."""
    text = dist.read_text('direct_url.json')
    if not text:
        return None
    info = json.loads(text)
    if not info.get('dir_info', {}).get('editable', False):
        return None
    return Path(unquote(urlparse(info['url']).path))


def link_editable_install(dist_name: str = 'mmped') -> Optional[Path]:
    """Create ``site-packages/<package>`` as a link to the source package of an editable install.

    Args:
        dist_name (str): Distribution (and package) name. Defaults to ``'mmped'``.

    Returns:
        Path | None: The link, or None when the install is not editable.

    Raises:
        FileExistsError: ``site-packages/<package>`` exists and is not a link to the checkout.
        FileNotFoundError: The checkout has no ``<package>/.mim/tools`` (setup.py's mim
            extension did not run).
    """
    dist = metadata.distribution(dist_name)
    source = _editable_source(dist)
    if source is None:
        return None
    package = (source / dist_name).resolve()
    if not (package / '.mim' / 'tools').is_dir():
        raise FileNotFoundError(
            f'{package}/.mim/tools is missing: reinstall with `pip install -e {source}` '
            '(setup.py links .mim during the editable build)')
    site_packages = Path(dist.locate_file('')).resolve()
    link = site_packages / dist_name
    if link.is_symlink() and link.resolve() == package:
        return link
    if link.exists() or link.is_symlink():
        raise FileExistsError(f'{link} exists and is not a link to {package}; remove it first')
    link.symlink_to(package, target_is_directory=True)
    record = Path(dist.locate_file(f'{dist_name}-{dist.version}.dist-info')) / 'RECORD'
    if record.is_file():
        lines = record.read_text().splitlines()
        if f'{dist_name},,' not in lines:
            record.write_text('\n'.join([*lines, f'{dist_name},,']) + '\n')
    return link


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.parse_args()
    link = link_editable_install()
    if link is None:
        print('mmped is not an editable install: nothing to link')
    else:
        print(f'mim finds mmped through {link} -> {link.resolve()}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
