# Copyright (c) mmped contributors. All rights reserved.
"""Install mmped and copy (or link) its configs and tools into ``mmped/.mim``.

``mim train mmped CONFIG`` runs ``mmped/.mim/tools/train.py``, so the ``.mim`` folder has to
exist after every kind of install: copied for sdist / wheel builds, symlinked for editable
installs (both the legacy ``setup.py develop`` and PEP 660 ``editable_wheel``).
"""
import os
import os.path as osp
import platform
import shutil
import sys
import warnings

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('requirements', 'tools', 'configs', 'demo', 'model-index.yml')


def readme() -> str:
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(ROOT, 'mmped', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Read requirement lines, dropping comments and blank lines."""
    reqs = []
    with open(osp.join(ROOT, fname), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Expose configs, tools and requirements under ``mmped/.mim``.

    Editable installs (``develop`` and PEP 660's ``editable_wheel``) get symlinks so that edits
    are seen at once; sdist and wheel builds get copies.
    """
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink' if platform.system() != 'Windows' else 'copy'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'build', 'build_py', 'install')):
        mode = 'copy'
    else:
        return

    mim_path = osp.join(ROOT, 'mmped', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(ROOT, name)
        tar = osp.join(mim_path, name)
        if not osp.exists(src):
            continue
        if osp.islink(tar) or osp.isfile(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), tar)
        elif osp.isfile(src):
            shutil.copyfile(src, tar)
        else:
            shutil.copytree(src, tar)
        if not osp.exists(tar):
            warnings.warn(f'could not create {tar} for mim')


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmped',
        version=get_version(),
        description='OpenMMLab toolbox for pedestrian detection, attributes, re-ID and search',
        long_description=readme(),
        long_description_content_type='text/markdown',
        author='mmped contributors',
        keywords='computer vision, pedestrian detection, person re-identification, '
        'pedestrian attributes, person search',
        packages=find_packages(exclude=('configs', 'tools', 'demo', 'tests', 'benchmarks')),
        include_package_data=True,
        python_requires='>=3.8',
        classifiers=[
            'Development Status :: 3 - Alpha',
            'License :: OSI Approved :: Apache Software License',
            'Operating System :: OS Independent',
            'Programming Language :: Python :: 3',
            'Programming Language :: Python :: 3.11',
        ],
        license='Apache License 2.0',
        install_requires=parse_requirements('requirements/mminstall.txt')
        + parse_requirements('requirements/install.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'mim': parse_requirements('requirements/mim.txt'),
            'tensorboard': parse_requirements('requirements/optional.txt'),
        },
        zip_safe=False,
    )
